package dev.tiergate.sim;

/** The timing model: prefill slows down with prompt length, dense decode peaks at two concurrent streams. */
final class RateModel {
  private RateModel() {
  }

  /** Time to first token in milliseconds for a prompt of {@code promptTokens} that has the engine to itself. */
  static double ttftMs(SimOptions o, int promptTokens) {
    return o.ttftBaseMs() + promptTokens / prefillTps(o, promptTokens) * 1000.0;
  }

  /**
   * Prompt tokens per second for a prompt of {@code promptTokens}: attention over a longer prompt costs more per
   * token, so every chunk of a long prompt is slower, not only its last one.
   */
  static double prefillTps(SimOptions o, int promptTokens) {
    double rate = o.prefillTps();
    if (o.prefillHalfRateTokens() > 0) {
      rate = rate / (1.0 + (double) promptTokens / o.prefillHalfRateTokens());
    }
    return rate;
  }

  /** Aggregate throughput factor relative to one stream, fitted to the seed rig (≈104 tok/s at 2, ≈54 at 8). */
  static double aggregateFactor(int streams) {
    if (streams <= 1) {
      return 1.0;
    }
    if (streams == 2) {
      return 1.44;
    }
    return 1.44 * Math.pow(2.0 / streams, 0.48);
  }

  /** Tokens per second one stream gets while {@code decodingStreams} (including itself) decode. */
  static double perStreamTps(double baseTps, int decodingStreams, boolean dense) {
    if (!dense || decodingStreams <= 1) {
      return baseTps;
    }
    return baseTps * aggregateFactor(decodingStreams) / decodingStreams;
  }
}
