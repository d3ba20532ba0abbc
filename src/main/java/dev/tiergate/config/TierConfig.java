package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.List;

/**
 * A named way of serving the model (fast, max, prefill, …) with its replicas and its fallbacks;
 * {@code lifecycle}, when set, is how tiergate starts and stops its engine; {@code profile},
 * {@code admission} and {@code slo} are its expected rates, its admission control and its objectives
 * (see {@link TierPolicy}).
 */
public record TierConfig(
    String name,
    String scheme,
    String description,
    List<BackendConfig> backends,
    List<String> fallback,
    TimeoutConfig timeouts,
    LifecycleConfig lifecycle,
    TierPolicy.Profile profile,
    TierPolicy.Admission admission,
    TierPolicy.Slo slo) {

  @JsonCreator
  public TierConfig {
    backends = backends == null ? List.of() : List.copyOf(backends);
    fallback = fallback == null ? null : List.copyOf(fallback);
  }

  public TierConfig(String name, String scheme, String description, List<BackendConfig> backends, List<String> fallback,
      TimeoutConfig timeouts) {
    this(name, scheme, description, backends, fallback, timeouts, null, null, null, null);
  }

  public TierConfig withLifecycle(LifecycleConfig l) {
    return new TierConfig(name, scheme, description, backends, fallback, timeouts, l, profile, admission, slo);
  }
}
