package dev.tiergate.routing;

/**
 * Time to first token of one request on one backend, from what the backend is doing and what it has
 * been measured to deliver: the prefill already waiting there (at the rate for its size), this
 * request's own prefill (at the rate for its length), a wait for a sequence slot when the engine
 * reports requests waiting (whichever of those two ends later), the decode batch's steps it waits
 * through, and the engine's fixed latency. Pure
 * arithmetic: the inputs come from the fleet, the clock from nowhere.
 */
public final class Predictor {
  private Predictor() {}

  /** Predicted milliseconds to the first token, or NaN when the backend has no rates. */
  public static double ttftMs(BackendRates rates, BackendLoad load, long promptTokens) {
    if (rates == null) {
      return Double.NaN;
    }
    double ahead = 0;
    if (load.queuedPrefillTokens() > 0) {
      long typical = load.queuedPrefillTokens() / Math.max(1, load.waiting());
      ahead = load.queuedPrefillTokens() * 1000.0 / rates.prefillTps(typical);
    }
    double own = Math.max(0, promptTokens) * 1000.0 / rates.prefillTps(promptTokens);
    // The prefill ahead and the wait for a slot overlap (decodes free slots while prompts prefill):
    // this prompt starts when both are over.
    return rates.baseLatencyMs() + Math.max(ahead, slotWaitMs(rates, load)) + batchMs(rates, load) + own;
  }

  /**
   * Predicted milliseconds to the whole answer: the first token, then the rest of {@code outputTokens} at the
   * decode rate this stream would get beside the streams decoding now. NaN when the backend has no rates.
   */
  public static double completionMs(BackendRates rates, BackendLoad load, long promptTokens, int outputTokens) {
    return completionMs(ttftMs(rates, load, promptTokens), rates, load, outputTokens);
  }

  /** As {@link #completionMs(BackendRates, BackendLoad, long, int)}, from a TTFT already predicted. */
  static double completionMs(double ttftMs, BackendRates rates, BackendLoad load, int outputTokens) {
    double tps = decodeTps(rates, load);
    return tps > 0 ? ttftMs + Math.max(0, outputTokens - 1) * 1000.0 / tps : ttftMs;
  }

  /**
   * The step running when the request arrives (half of one, on average) and the step that carries its prompt.
   * Engines batch every decoding stream into each step, and a new prompt's first token comes at the end of a step,
   * so a step lasts one decode interval of the batch. With 16 streams on the seed rig's fast tier that is ≈ 0.4 s
   * per step, more than a short prompt's own prefill.
   */
  static final double STEPS_BEFORE_FIRST_TOKEN = 1.5;

  static double batchMs(BackendRates rates, BackendLoad load) {
    if (load.decoding() <= 0) {
      return 0;
    }
    double perStream = rates.decodeTps(load.decoding());
    return perStream > 0 ? STEPS_BEFORE_FIRST_TOKEN * 1000.0 / perStream : 0;
  }

  /**
   * Output tokens a running sequence is assumed to have left when the engine's slots are full: half
   * of the default output reserve, as a sequence is on average halfway through.
   */
  static final int REMAINING_OUTPUT_TOKENS = 128;

  /**
   * When the engine says requests wait for a sequence slot, this one waits behind them: a slot frees
   * each time one of the running sequences finishes, every {@code remaining ÷ rate ÷ running} seconds.
   */
  static double slotWaitMs(BackendRates rates, BackendLoad load) {
    if (load.engineWaiting() <= 0 || load.engineRunning() <= 0) {
      return 0;
    }
    double perStream = rates.decodeTps(load.engineRunning());
    if (!(perStream > 0)) {
      return 0;
    }
    double msPerFreeSlot = REMAINING_OUTPUT_TOKENS * 1000.0 / perStream / load.engineRunning();
    return (load.engineWaiting() + 1) * msPerFreeSlot;
  }

  /** Output tokens per second this request's stream would get next to the streams decoding now. */
  public static double decodeTps(BackendRates rates, BackendLoad load) {
    return rates == null ? Double.NaN : rates.decodeTps(load.decoding() + 1);
  }
}
