package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where the per-key RPM, TPM and concurrency counts live. {@code local}: in this process (each
 * replica enforces the limits on its own). {@code redis}: in one Redis all replicas share, one
 * round trip per request; when Redis cannot be reached, {@code failMode} decides: {@code open}
 * falls back to per-replica counts, {@code closed} answers 503.
 *
 * @param redis a Redis URL, {@code redis://[:password@]host:port[/db]}
 * @param timeoutMs how long a request waits for Redis before the fail mode applies
 * @param prefix prepended to every Redis key the gateway writes
 */
public record LimitsConfig(Store store, String redis, FailMode failMode, Long timeoutMs, String prefix) {

  @JsonCreator
  public LimitsConfig {
    store = store == null ? Store.LOCAL : store;
    failMode = failMode == null ? FailMode.OPEN : failMode;
    timeoutMs = timeoutMs == null ? 250L : timeoutMs;
    prefix = prefix == null ? "tiergate:" : prefix;
  }

  public static LimitsConfig defaults() {
    return new LimitsConfig(null, null, null, null, null);
  }

  /** Where counts live. */
  public enum Store {
    LOCAL("local"), REDIS("redis");

    private final String id;

    Store(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static Store parse(String s) {
      for (Store v : values()) {
        if (v.id.equals(s)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown store '" + s + "' (allowed: local, redis)");
    }
  }

  /** What happens while the shared store is unreachable. */
  public enum FailMode {
    OPEN("open"), CLOSED("closed");

    private final String id;

    FailMode(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static FailMode parse(String s) {
      for (FailMode v : values()) {
        if (v.id.equals(s)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown failMode '" + s + "' (allowed: open, closed)");
    }
  }
}
