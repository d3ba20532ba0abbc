package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;

/**
 * Gateway keys and their limits. With no keys (and no keys file) the gateway is open to anyone who
 * can reach it, which start-up allows on a loopback address only, or with {@code anonymous: true}.
 *
 * @param anonymous serve without keys on a non-loopback address (an explicit choice)
 * @param keys keys given in the config file itself
 * @param keysFile a YAML file with {@code keys: [...]}, re-read on SIGHUP and {@code POST /tiergate/reload-keys}
 * @param metrics who may read {@code /metrics} on the gateway port when keys are configured
 * @param limits where RPM/TPM/concurrency counts live
 */
public record AuthConfig(Boolean anonymous, List<KeyConfig> keys, String keysFile, MetricsAccess metrics, LimitsConfig limits) {

  @JsonCreator
  public AuthConfig {
    anonymous = anonymous != null && anonymous;
    keys = keys == null ? List.of() : List.copyOf(keys);
    metrics = metrics == null ? MetricsAccess.ADMIN : metrics;
    limits = limits == null ? LimitsConfig.defaults() : limits;
  }

  public static AuthConfig defaults() {
    return new AuthConfig(null, null, null, null, null);
  }

  /** True when requests must carry a key: keys are given inline or in a file. */
  public boolean enabled() {
    return !keys.isEmpty() || keysFile != null;
  }

  /** {@code /metrics} on the gateway port: behind an admin key, or open (a separate {@code metrics.port} is always open). */
  public enum MetricsAccess {
    ADMIN("admin"), OPEN("open");

    private final String id;

    MetricsAccess(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static MetricsAccess parse(String s) {
      for (MetricsAccess m : values()) {
        if (m.id.equals(s)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown metrics access '" + s + "' (allowed: admin, open)");
    }
  }
}
