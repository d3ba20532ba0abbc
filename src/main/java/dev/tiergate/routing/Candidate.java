package dev.tiergate.routing;

import dev.tiergate.config.BackendConfig;

/** One backend to try, in order, and the reason it is on the list. */
public record Candidate(String tier, BackendConfig backend, String reason) {}
