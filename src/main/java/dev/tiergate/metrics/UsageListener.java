package dev.tiergate.metrics;

/**
 * Told once, when a request's record is complete, what the engine reported it used; the rate
 * limits reconcile their admission estimate with it (this package knows nothing of keys).
 */
public interface UsageListener {
  /**
   * @param promptTokens as the engine reported, -1 when it did not
   * @param completionTokens as reported (or, for a stream without usage, the output events), -1 when unknown
   * @param reachedEngine whether a backend received the request at all
   */
  void finished(long promptTokens, long completionTokens, boolean reachedEngine);
}
