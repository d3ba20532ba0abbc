package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.TimeoutConfig;

/** One backend to try, with the deadlines of its tier. */
public record Target(String tier, BackendConfig backend, TimeoutConfig timeouts) {}
