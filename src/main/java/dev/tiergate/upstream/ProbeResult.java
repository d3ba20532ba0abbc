package dev.tiergate.upstream;

/**
 * What one health probe saw.
 *
 * @param state READY (serve it), LOADING (starting up: model loading, warm-up), DOWN (refused, dead, wedged)
 * @param detail a short human-readable reason, for the status page
 */
public record ProbeResult(State state, String detail) {
  public enum State { READY, LOADING, DOWN }
}
