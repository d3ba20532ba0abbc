package dev.tiergate.metrics;

import java.time.Duration;

/**
 * Histogram bucket boundaries chosen for LLM serving rather than the library defaults (which stop
 * at seconds and would put every long prefill in +Inf). Explicit buckets keep the series count
 * fixed and make {@code histogram_quantile} comparable across tiers and restarts.
 */
final class Buckets {
  private Buckets() {}

  /** TTFT, upstream TTFT, time to first answer: 10 ms (tiny prompt, warm engine) to 10 min (huge prompt, queued). */
  static final Duration[] FIRST_TOKEN = seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2,
      3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600);

  /** Inter-token latency: 1 ms (fast decode, small model) to 5 s (a stalled batch). */
  static final Duration[] INTER_TOKEN = seconds(0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
      0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5);

  /** Whole request: 10 ms to the 30 min a long agentic generation may take. */
  static final Duration[] REQUEST = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300,
      600, 1200, 1800);

  /**
   * Gateway overhead before the upstream write: parsing and routing take tens of microseconds;
   * the upper buckets catch fallbacks, whose failed attempts happen before the answering write.
   */
  static final Duration[] OVERHEAD = seconds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);

  /** Tokens per second, 1 to 100k, in roughly 1.5x steps: decode lives at 10–300, prefill at 500–50k. */
  static final double[] TOKENS_PER_SECOND = {1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500,
      750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 50_000, 75_000, 100_000};

  /** Prompt estimate ÷ engine count: 1 is exact; the configured ratio alone was off by 0.7–4× on real text. */
  static final double[] ESTIMATE_RATIO = {0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.5, 2, 3, 4};

  private static Duration[] seconds(double... s) {
    Duration[] d = new Duration[s.length];
    for (int i = 0; i < s.length; i++) {
      d[i] = Duration.ofNanos(Math.round(s[i] * 1e9));
    }
    return d;
  }
}
