package dev.tiergate.upstream;

/** How one upstream attempt ended, as far as the backend's health is concerned. */
public enum AttemptResult {
  OK,
  /** The engine answered and rejected the request: the backend is healthy. */
  CLIENT_ERROR,
  CONNECT_FAILURE,
  SERVER_ERROR,
  TIMEOUT,
  CANCELLED;

  public boolean countsAsFailure() {
    return this == CONNECT_FAILURE || this == SERVER_ERROR || this == TIMEOUT;
  }
}
