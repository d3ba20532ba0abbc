package dev.tiergate.fleet;

import dev.tiergate.config.BackendConfig;
import java.util.List;
import java.util.OptionalInt;

/**
 * What the gateway learned about an engine's served names and context window, and when to ask
 * again: at once when it becomes ready, again every discovery interval (an engine restarted between
 * two probes may come back with another window), and after a failed lookup with a backoff that
 * starts at a second, so a transient error does not leave a backend nameless for a whole interval.
 */
final class Discovery {
  private static final long FIRST_RETRY_NANOS = 1_000_000_000L;

  private final BackendConfig config;
  private volatile List<String> models = List.of();
  /** Kept as the OptionalInt routing reads, so a decision's reads build nothing. */
  private volatile OptionalInt window = OptionalInt.empty();
  private volatile String modelError;
  private volatile String windowError;
  private volatile long nextDueNanos;
  private int failures;

  Discovery(BackendConfig config) {
    this.config = config;
  }

  List<String> models() {
    return models;
  }

  OptionalInt window() {
    return window;
  }

  boolean due(long now) {
    return now >= nextDueNanos;
  }

  /** Ask at the next probe: the engine became ready, or it contradicted what we knew. */
  void invalidate() {
    nextDueNanos = 0;
  }

  /**
   * @param found the names the engine listed, or null when the lookup failed
   * @param foundWindow the window it reported, or null
   */
  synchronized void learned(List<String> found, String modelProblem, Integer foundWindow, String windowProblem, long now,
      long intervalNanos) {
    boolean ok = true;
    if (found != null && !found.isEmpty()) {
      models = List.copyOf(found);
      modelError = null;
    } else if (config.model() == null) {
      // A failed refresh keeps the names learned before; only a backend that never had one shows the error.
      if (models.isEmpty()) {
        modelError = modelProblem != null ? modelProblem : "the engine listed no model in /v1/models";
      }
      ok = false;
    }
    if (foundWindow != null) {
      window = OptionalInt.of(foundWindow);
      windowError = null;
    } else if (config.contextWindow() == null) {
      if (window.isEmpty()) {
        windowError = windowProblem != null ? windowProblem : "the engine did not report its context window";
      }
      ok = false;
    }
    failures = ok ? 0 : failures + 1;
    long wait = ok ? intervalNanos : Math.min(intervalNanos, FIRST_RETRY_NANOS << Math.min(failures - 1, 16));
    nextDueNanos = now + wait;
  }

  String modelSource() {
    String err = modelError;
    return err != null ? "failed: " + err : models.isEmpty() ? "pending" : "discovered";
  }

  String windowSource() {
    String err = windowError;
    return err != null ? "failed: " + err : window.isEmpty() ? "pending" : "discovered";
  }
}
