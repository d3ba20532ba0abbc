package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * The operator console: the status page at {@code /}, its live updates and the ring buffer of
 * recent requests it draws from.
 *
 * @param enabled serve the page, {@code /tiergate/events} and the report endpoints, and keep the ring buffer
 * @param maxViewers live viewers (event streams) at once; one more is answered 503
 * @param recentRequests requests the ring buffer keeps (rounded up to a power of two); about 30 bytes each
 * @param pushMs how often each viewer gets a fresh snapshot
 * @param report a {@code bench tiers --json} file the page shows until a report is published
 */
public record ConsoleConfig(Boolean enabled, Integer maxViewers, Integer recentRequests, Long pushMs, String report) {

  @JsonCreator
  public ConsoleConfig {
    enabled = enabled == null || enabled;
    maxViewers = maxViewers == null ? 8 : maxViewers;
    recentRequests = recentRequests == null ? 65_536 : recentRequests;
    pushMs = pushMs == null ? 1_000L : pushMs;
  }

  public static ConsoleConfig defaults() {
    return new ConsoleConfig(null, null, null, null, null);
  }
}
