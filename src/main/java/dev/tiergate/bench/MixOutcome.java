package dev.tiergate.bench;

/**
 * What one request of a mixed run got. Times are microseconds from the start of the run; -1 when it never happened.
 *
 * @param status the HTTP status, 0 when no status came at all (lost)
 * @param tier the tier that answered (x-tiergate-tier), null when unknown
 * @param waitedMs time the gateway held the request before starting it (x-tiergate-queued-ms for admission plus
 *     x-tiergate-waited-ms for a swap), NaN when it said neither
 * @param predictedTtftMs the gateway's prediction (x-tiergate-predicted-ttft-ms), NaN when not said
 * @param reason why the gateway chose that tier (x-tiergate-reason), null when unknown
 * @param outputUs the time of each output event, kept for interactive requests only (empty otherwise)
 */
public record MixOutcome(MixRequest request, int status, String error, String tier, String reason, long sentUs, long firstUs,
    long lastUs, int outputEvents, int completionTokens, double waitedMs, double predictedTtftMs, long[] outputUs) {

  public MixClass kind() {
    return request.kind();
  }

  /** Answered 200 and streamed to [DONE]. */
  public boolean ok() {
    return status == 200 && error == null;
  }

  public boolean lost() {
    return status == 0;
  }

  /** Refused by the gateway's admission control or limits (429, or 503 with nothing to serve it). */
  public boolean rejected() {
    return status == 429 || status == 503;
  }

  /** Answered, but neither served whole nor refused: another error status, or a stream that broke. */
  public boolean failed() {
    return !lost() && !ok() && !rejected();
  }

  public boolean queued() {
    return waitedMs > 0;
  }

  /** Client-measured: request sent to the first output event (content, reasoning or tool call). */
  public double ttftMs() {
    return firstUs >= 0 && sentUs >= 0 ? (firstUs - sentUs) / 1000.0 : Double.NaN;
  }

  /** Time per output token after the first; NaN with fewer than two tokens. */
  public double tpotMs() {
    int tokens = tokens();
    return tokens > 1 && lastUs > firstUs ? (lastUs - firstUs) / 1000.0 / (tokens - 1) : Double.NaN;
  }

  /** Completion tokens from usage, else output events. */
  int tokens() {
    return completionTokens > 0 ? completionTokens : outputEvents;
  }

  /** Tokens per output event: engines may pack several tokens into one event. */
  double tokensPerEvent() {
    return outputEvents > 0 && completionTokens > 0 ? (double) completionTokens / outputEvents : 1.0;
  }
}
