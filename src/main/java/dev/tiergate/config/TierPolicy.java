package dev.tiergate.config;

/**
 * What a tier is expected to deliver and how it protects itself, beside where its engines are:
 * the rates it starts from before it has measured its own ({@code profile}), its admission control,
 * and its service-level objectives.
 */
public final class TierPolicy {
  private TierPolicy() {}

  /**
   * A tier's rates before any request measured them (the same model as the simulator's: prefill
   * rate(n) = prefillTps / (1 + n / prefillHalfRateTokens)). Learned rates replace them as traffic flows.
   */
  public record Profile(Double prefillTps, Integer prefillHalfRateTokens, Double decodeTps, Double ttftBaseMs) {
    public Profile {
      prefillTps = prefillTps == null ? 2000.0 : prefillTps;
      prefillHalfRateTokens = prefillHalfRateTokens == null ? 100_000 : prefillHalfRateTokens;
      decodeTps = decodeTps == null ? 50.0 : decodeTps;
      ttftBaseMs = ttftBaseMs == null ? 150.0 : ttftBaseMs;
    }
  }

  /**
   * Admission control per backend: a prompt of at least {@code longPromptTokens} that would starve
   * interactive streams decoding on its backend ({@code protectDecodes}) waits for them, bounded by
   * {@code maxQueue} requests, {@code maxQueuedPrefillTokens} and {@code maxWaitMs}, or goes to
   * another tier that can take it now. Interactive requests go before batch ones.
   */
  public record Admission(Integer longPromptTokens, Boolean protectDecodes, Long maxQueuedPrefillTokens, Integer maxQueue,
      Long maxWaitMs) {
    public Admission {
      longPromptTokens = longPromptTokens == null ? 16_384 : longPromptTokens;
      protectDecodes = protectDecodes == null || protectDecodes;
      maxQueuedPrefillTokens = maxQueuedPrefillTokens == null ? 2_000_000L : maxQueuedPrefillTokens;
      maxQueue = maxQueue == null ? 256 : maxQueue;
      maxWaitMs = maxWaitMs == null ? 120_000L : maxWaitMs;
    }
  }

  /** The tier's objectives: a request meets them when its TTFT and its time per output token are within. */
  public record Slo(Long ttftMs, Long tpotMs) {}
}
