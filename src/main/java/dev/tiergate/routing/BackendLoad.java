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
 */
public record BackendLoad(long queuedPrefillTokens, int waiting, int decoding, int interactiveDecoding, int engineRunning,
    int engineWaiting) {
  public static final BackendLoad IDLE = new BackendLoad(0, 0, 0, 0, -1, -1);
}
