package dev.tiergate.metrics;

import dev.tiergate.config.Api;

/**
 * What one finished request measured, in the units the meters use. Durations are nanoseconds and
 * -1 when not measured; rates are NaN when not measured; token counts are -1 when unknown.
 *
 * @param approximate the engine reported no token counts, so {@code completionTokens} is the
 *     number of output-bearing events relayed (a lower bound for engines that batch tokens per event)
 * @param aheadTokens prompt tokens already waiting on the backend when this request was sent to it
 * @param streamsAtStart streams decoding on the backend then, this one not included
 * @param predictedTtftMs what the predictor expected, NaN when it was not asked
 * @param batch the client marked the request batch work
 * @param promptEstimate the prompt tokens routing assumed, -1 when none was made
 */
public record Sample(
    String endpoint,
    String tier,
    String backend,
    Outcome outcome,
    long durationNanos,
    long overheadNanos,
    long ttftNanos,
    long upstreamTtftNanos,
    long firstAnswerNanos,
    int outputEvents,
    long promptTokens,
    long cachedTokens,
    long completionTokens,
    boolean approximate,
    double decodeTps,
    double prefillTps,
    double engineDecodeTps,
    double enginePrefillTps,
    long aheadTokens,
    int streamsAtStart,
    double predictedTtftMs,
    boolean batch,
    long promptEstimate) {

  /** The endpoint generates tokens, so TTFT and decode rate mean what they say (not embeddings or counters). */
  public boolean generative() {
    Api api = Api.byId(endpoint);
    return api != null && api.generates();
  }

  /** The outcome label as the meters show it ({@code ok}, {@code client_error}, …). */
  public String result() {
    return outcome.label;
  }

  /** The request was answered in full. */
  public boolean ok() {
    return outcome == Outcome.OK;
  }

  /** Milliseconds per output token after the first, NaN when the decode rate was not measured. */
  public double tpotMs() {
    return Double.isFinite(decodeTps) && decodeTps > 0 ? 1000.0 / decodeTps : Double.NaN;
  }
}
