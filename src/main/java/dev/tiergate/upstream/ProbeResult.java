package dev.tiergate.upstream;

/**
 * What one health probe saw.
 *
 * @param state READY (serve it), LOADING (starting up: model loading, warm-up), DOWN (refused, dead, wedged)
 * @param detail a short human-readable reason, for the status page
 * @param timedOut the engine accepted the request but did not answer in time
 */
public record ProbeResult(State state, String detail, boolean timedOut) {
  public enum State { READY, LOADING, DOWN }

  public ProbeResult(State state, String detail) {
    this(state, detail, false);
  }
}
