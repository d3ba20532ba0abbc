package dev.tiergate.routing;

/**
 * What a backend is busy with, as the predictor reads it: the gateway's own outstanding work
 * (exact, updated per attempt) and what the engine last reported (scraped each probe interval;
 * -1 when it does not say).
 *
 * @param queuedPrefillTokens prompt tokens of requests sent but without a first output yet
 * @param waiting requests sent but without a first output yet
 * @param decoding requests producing output now
 * @param interactiveDecoding those of them that are interactive (not batch)
 * @param engineRunning the engine's running requests, or -1
 * @param engineWaiting the engine's queued requests, or -1
 * @param interactiveWaiting interactive requests sent but without a first output yet: streams about to decode
 */
public record BackendLoad(long queuedPrefillTokens, int waiting, int decoding, int interactiveDecoding, int engineRunning,
    int engineWaiting, int interactiveWaiting) {
  public static final BackendLoad IDLE = new BackendLoad(0, 0, 0, 0, -1, -1, 0);

  /** A load with no interactive request waiting for its first output. */
  public BackendLoad(long queuedPrefillTokens, int waiting, int decoding, int interactiveDecoding, int engineRunning,
      int engineWaiting) {
    this(queuedPrefillTokens, waiting, decoding, interactiveDecoding, engineRunning, engineWaiting, 0);
  }

  /**
   * Interactive streams a new long prefill here would starve: those decoding, and those whose prompt is being
   * prefilled now (an engine prefills in arrival order, so a later prompt's chunks run while they decode).
   */
  public int interactive() {
    return interactiveDecoding + interactiveWaiting;
  }
}
