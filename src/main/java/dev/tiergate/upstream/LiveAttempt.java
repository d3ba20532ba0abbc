package dev.tiergate.upstream;

/**
 * An attempt in flight as the fleet sees it: enough to notice a backend that accepts requests but
 * no longer answers them, and to move the requests still waiting on it elsewhere.
 */
public interface LiveAttempt {
  /** System.nanoTime when the attempt started. */
  long startedNanos();

  /** When the backend last sent anything on this attempt (head, bytes), or when it started. */
  long lastActivityNanos();

  /** True once the attempt produced output: it no longer waits on the backend to start. */
  boolean hasOutput();

  /** The backend was found not to serve: give up on it and try the next candidate. Thread-safe. */
  void stalled(String why);

  /** Prompt tokens this attempt asks the engine to prefill (the gateway's estimate). */
  long promptTokens();

  /** Whether a person is waiting on this stream (interactive), rather than a batch job. */
  boolean interactive();

  /**
   * What was already on the backend when this attempt was admitted: prompt tokens waiting for a
   * first output, and streams decoding. Called once, before the attempt counts itself.
   */
  void admitted(long prefillAhead, int decoding);
}
