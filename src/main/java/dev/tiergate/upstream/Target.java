package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.TimeoutConfig;

/**
 * One backend to try, with the deadlines of its tier.
 *
 * @param translate the request goes to this backend as a chat completion (its engine lacks the client's API)
 */
public record Target(String tier, BackendConfig backend, TimeoutConfig timeouts, boolean translate) {
  public Target(String tier, BackendConfig backend, TimeoutConfig timeouts) {
    this(tier, backend, timeouts, false);
  }
}
