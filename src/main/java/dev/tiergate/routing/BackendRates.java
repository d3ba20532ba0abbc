package dev.tiergate.routing;

/**
 * A backend's rates as the predictor reads them: prefill tokens/s by prompt-length band, decode
 * tokens/s per stream by concurrency band, and the fixed latency before any prefill. Learned from
 * the gateway's own measurements, seeded from the tier's profile.
 */
public interface BackendRates {
  /** Upper bounds (exclusive) of the prompt-length bands; the last band is open. */
  int[] PREFILL_BANDS = {1024, 4096, 16384, 65536};
  /** Upper bounds (inclusive) of the concurrency bands; the last band is open. */
  int[] DECODE_BANDS = {1, 2, 4, 8};

  /** Prefill tokens per second for a prompt of this many (uncached) tokens. */
  double prefillTps(long promptTokens);

  /** Output tokens per second one stream gets while {@code streams} decode together. */
  double decodeTps(int streams);

  /** Milliseconds before the first token that do not depend on the prompt (scheduling, sampling, network). */
  double baseLatencyMs();

  static int prefillBand(long tokens) {
    for (int i = 0; i < PREFILL_BANDS.length; i++) {
      if (tokens < PREFILL_BANDS[i]) {
        return i;
      }
    }
    return PREFILL_BANDS.length;
  }

  static int decodeBand(int streams) {
    for (int i = 0; i < DECODE_BANDS.length; i++) {
      if (streams <= DECODE_BANDS[i]) {
        return i;
      }
    }
    return DECODE_BANDS.length;
  }
}
