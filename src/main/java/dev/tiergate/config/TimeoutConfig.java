package dev.tiergate.config;

/**
 * Deadlines for one upstream call. TTFT covers prefill (long prompts need minutes), idle covers the
 * gap between events once output flows (a parser that went silent), total bounds the whole call.
 * A null key means "inherit" when this block belongs to a tier.
 */
public record TimeoutConfig(Long connectMs, Long ttftMs, Long idleMs, Long totalMs) {

  public static TimeoutConfig defaults() {
    return new TimeoutConfig(2_000L, 300_000L, 60_000L, 1_800_000L);
  }

  /** This block's keys over {@code base}'s. */
  public TimeoutConfig over(TimeoutConfig base) {
    return new TimeoutConfig(
        connectMs != null ? connectMs : base.connectMs,
        ttftMs != null ? ttftMs : base.ttftMs,
        idleMs != null ? idleMs : base.idleMs,
        totalMs != null ? totalMs : base.totalMs);
  }
}
