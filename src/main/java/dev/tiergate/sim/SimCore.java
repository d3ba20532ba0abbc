package dev.tiergate.sim;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/**
 * The engine-wide state every request shares, and the one timer that drives the {@link Scheduler}. Confined to
 * the sim's event loop (plain fields, no locks); only {@link SimStats} is read from other threads.
 */
final class SimCore {
  final Vertx vertx;
  final SimOptions options;
  final Engine engine;
  final SimStats stats = new SimStats();
  final Scheduler scheduler;
  private final long loadingUntilNanos;

  private final Set<Generation> live = new HashSet<>();
  /** Asleep (vLLM sleep mode, SGLang released memory, llama.cpp unloaded): generation requests wait, unanswered. */
  boolean sleeping;
  /** Requests that arrived while asleep, served once awake (vLLM leaves them hanging until then). */
  final java.util.ArrayDeque<Runnable> parked = new java.util.ArrayDeque<>();
  /** Added to every word index after a corrupting wake, so the canary answer changes. */
  int wordShift;
  private long timerId = -1;
  private boolean closed;
  private long taskIds;
  long promptTokensTotal;
  long generationTokensTotal;
  long successTotal;
  double ttftSecondsSum;
  long ttftCount;
  double prefillSecondsSum;
  double decodeSecondsSum;
  long longestSequence;

  SimCore(Vertx vertx, SimOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.engine = options.engineKind();
    this.scheduler = new Scheduler(options, System::nanoTime);
    this.loadingUntilNanos = System.nanoTime() + (long) (options.loadingSeconds() * 1e9);
  }

  boolean loading() {
    return System.nanoTime() < loadingUntilNanos;
  }

  long loadingRemainingMs() {
    long ns = loadingUntilNanos - System.nanoTime();
    return ns <= 0 ? 0 : Math.max(1, (ns + 999_999) / 1_000_000);
  }

  long nextTaskId() {
    return taskIds++;
  }

  void noteSequenceLength(long tokens) {
    longestSequence = Math.max(longestSequence, tokens);
  }

  /** Requests being served now (prefilling, decoding or waiting for a slot). */
  int liveCount() {
    return live.size();
  }

  void register(Generation g) {
    live.add(g);
  }

  void unregister(Generation g) {
    live.remove(g);
  }

  /**
   * Work may have appeared (a request arrived, a reader drained, a slot freed): run the scheduler now and re-arm
   * the timer for its next step. From inside the scheduler's own run this is a no-op, since that run looks again.
   */
  void kick() {
    if (closed || scheduler.advancing()) {
      return;
    }
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    tick();
  }

  /** One timer for the whole engine, however many streams: each firing runs every step that fell due. */
  private void tick() {
    timerId = -1;
    long next = scheduler.advance();
    if (next == Scheduler.IDLE || closed) {
      return;
    }
    long delayMs = Math.max(1, (next - System.nanoTime() + 999_999) / 1_000_000);
    timerId = vertx.setTimer(delayMs, t -> tick());
  }

  /** Server shutdown: stop every timer without counting the ends as client aborts. */
  void shutdownAll() {
    closed = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    for (Generation g : new ArrayList<>(live)) {
      g.shutdown();
    }
  }
}
