package dev.tiergate.config;

import java.util.List;

/** A named way of serving the model (fast, max, prefill, …) with its replicas and its fallbacks. */
public record TierConfig(
    String name,
    String scheme,
    String description,
    List<BackendConfig> backends,
    List<String> fallback,
    TimeoutConfig timeouts) {

  public TierConfig {
    backends = backends == null ? List.of() : List.copyOf(backends);
    fallback = fallback == null ? null : List.copyOf(fallback);
  }
}
