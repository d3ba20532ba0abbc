package dev.tiergate.upstream;

/** How one upstream attempt ended, as far as the backend's health is concerned. */
public enum AttemptResult {
  OK,
  /** The engine answered and rejected the request as the client's fault: the backend is healthy. */
  CLIENT_ERROR,
  /**
   * The engine answered with an error of its own (a 5xx with an error body, an error event). It may
   * be this request's doing as much as the engine's, so it does not count against the backend;
   * the backend is checked with a request the gateway knows is good instead.
   */
  ENGINE_ERROR,
  CONNECT_FAILURE,
  /** Transport failures (a reset, a stream cut without its end) and answers that say the engine is broken. */
  SERVER_ERROR,
  /** No output within the attempt's full deadline. */
  TIMEOUT,
  /** The answer passed one of the gateway's size limits: the gateway's choice, not the engine's failure. */
  TOO_LARGE,
  /** The request's own time ran out before the attempt had its full deadline: no verdict on the backend. */
  OUT_OF_TIME,
  CANCELLED;

  public boolean countsAsFailure() {
    return this == CONNECT_FAILURE || this == SERVER_ERROR || this == TIMEOUT;
  }
}
