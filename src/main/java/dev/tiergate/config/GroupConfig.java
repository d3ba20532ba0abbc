package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;

/**
 * Tiers that cannot be live together (they share the GPUs): one of them is live, the others are
 * started by a swap. {@code home} is the tier brought up at start and returned to after
 * {@code idleMs} without traffic.
 *
 * @param minLiveMs a tier that went live less than this ago is not swapped away (the thrash guard)
 * @param idleMs return to home after this long without traffic for the live tier; 0 = never
 * @param maxQueue requests that may wait for a swap at once; more get 429
 * @param maxWaitMs how long a request waits for a swap before 503 with Retry-After
 * @param whenNotLive what a non-strict request for a tier that is not live gets
 * @param drainMs how long the live tier's requests may finish before a swap cuts them
 */
public record GroupConfig(String name, List<String> tiers, Boolean exclusive, String home, Swap swap, Long minLiveMs,
    Long idleMs, Integer maxQueue, Long maxWaitMs, WhenNotLive whenNotLive, Long drainMs) {

  public GroupConfig {
    tiers = tiers == null ? List.of() : List.copyOf(tiers);
    exclusive = exclusive == null || exclusive;
    swap = swap == null ? Swap.ON_DEMAND : swap;
    minLiveMs = minLiveMs == null ? 0L : minLiveMs;
    idleMs = idleMs == null ? 0L : idleMs;
    maxQueue = maxQueue == null ? 1000 : maxQueue;
    maxWaitMs = maxWaitMs == null ? 600_000L : maxWaitMs;
    whenNotLive = whenNotLive == null ? WhenNotLive.SERVE_LIVE : whenNotLive;
    drainMs = drainMs == null ? 30_000L : drainMs;
  }

  /** Whether a request may start a swap ({@code onDemand}) or only an operator may ({@code manual}). */
  public enum Swap {
    ON_DEMAND("onDemand"), MANUAL("manual");

    private final String id;

    Swap(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static Swap parse(String s) {
      for (Swap v : values()) {
        if (v.id.equals(s)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown swap '" + s + "' (allowed: onDemand, manual)");
    }
  }

  /** A non-strict request for a tier that is not live: answered now by the live tier, or waits for a swap. */
  public enum WhenNotLive {
    SERVE_LIVE("serveLive"), WAIT("wait");

    private final String id;

    WhenNotLive(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static WhenNotLive parse(String s) {
      for (WhenNotLive v : values()) {
        if (v.id.equals(s)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown whenNotLive '" + s + "' (allowed: serveLive, wait)");
    }
  }
}
