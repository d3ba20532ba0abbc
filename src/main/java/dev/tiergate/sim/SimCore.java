package dev.tiergate.sim;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The engine-wide state every request shares, and the one timer that drives the {@link Scheduler}. Everything here
 * is confined to the engine's context (plain fields, no locks): the HTTP loops post to it ({@link #onEngine}) and
 * read what it publishes: {@link #snapshot()} after every advance, and the volatile sleep state. Only
 * {@link SimStats} is updated from other threads.
 */
final class SimCore {
  final Vertx vertx;
  final SimOptions options;
  final Engine engine;
  final SimStats stats = new SimStats();
  final Scheduler scheduler;
  private final long loadingUntilNanos;
  /** The engine's own context: the scheduler, its timer and every Generation's state live here. */
  private volatile Context engineContext;

  private final Set<Generation> live = new HashSet<>();
  /**
   * Asleep (vLLM sleep mode, SGLang released memory, llama.cpp unloaded): generation requests wait, unanswered.
   * Written on the engine's context only; the HTTP loops read it.
   */
  volatile boolean sleeping;
  /** Requests that arrived while asleep, served once awake (vLLM leaves them hanging until then). Engine only. */
  final java.util.ArrayDeque<Runnable> parked = new java.util.ArrayDeque<>();
  /** Added to every word index after a corrupting wake, so the canary answer changes. Written by the engine. */
  volatile int wordShift;
  private long timerId = -1;
  private boolean closed;
  private final AtomicLong taskIds = new AtomicLong();
  /** Requests a loop writes in one task before it looks at its sockets again. */
  private static final int WRITES_PER_TASK = 64;
  long promptTokensTotal;
  long generationTokensTotal;
  long successTotal;
  double ttftSecondsSum;
  long ttftCount;
  double prefillSecondsSum;
  double decodeSecondsSum;
  long longestSequence;
  /** What the side routes read: replaced, never changed, after every run of the scheduler. */
  private volatile Snapshot snapshot;
  /** HTTP loops with output waiting to be handed to them, in the order they got their first. */
  private final List<Writers> dirty = new ArrayList<>();
  /** Tests only: told the thread name each time a loop writes a request's batch (null: nothing to tell). */
  volatile Consumer<String> writeProbe;

  /** One slot of llama.cpp's /slots as of the last advance: the last task it served, or null fields if none. */
  record SlotView(boolean busy, long taskId, int promptTokens, int prefilled, int generated, int maxTokens,
      boolean stream) {
  }

  /**
   * The engine's load and counters as of its last advance, for the side routes (/metrics, /slots, /health):
   * they answer from it on their own loop, however busy the engine's context is.
   *
   * @param slots per slot for the llama.cpp family (empty for the others, which have no /slots)
   */
  record Snapshot(Scheduler.Load load, long steps, long busySlotSteps, long promptTokensTotal,
      long generationTokensTotal, long successTotal, double ttftSecondsSum, long ttftCount,
      double prefillSecondsSum, double decodeSecondsSum, long longestSequence, List<SlotView> slots) {
  }

  /**
   * One HTTP loop as the engine sees it: the requests whose output waits to be handed to it. At most one hand-off
   * is on its way to a loop or being written there; what the engine decides meanwhile waits in the requests'
   * batches and goes with the next one. So a loop that cannot keep up never queues more than one task from the
   * engine and still reads its sockets (a /health probe) between the pieces of that one, while the engine runs its
   * steps on time, as a real engine does when its API server falls behind.
   */
  static final class Writers {
    final Context context;
    private List<Generation> pending;
    private boolean busy;

    Writers(Context context) {
      this.context = context;
    }
  }

  SimCore(Vertx vertx, SimOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.engine = options.engineKind();
    this.scheduler = new Scheduler(options, System::nanoTime);
    this.loadingUntilNanos = System.nanoTime() + (long) (options.loadingSeconds() * 1e9);
    publish();
  }

  /** Called once, from the engine verticle's start, before any HTTP loop listens. */
  void bind(Context context) {
    this.engineContext = context;
  }

  Context engineContext() {
    return engineContext;
  }

  /** Runs {@code task} on the engine's context, after everything posted to it before. */
  void onEngine(Runnable task) {
    engineContext.runOnContext(v -> task.run());
  }

  boolean loading() {
    return System.nanoTime() < loadingUntilNanos;
  }

  long loadingRemainingMs() {
    long ns = loadingUntilNanos - System.nanoTime();
    return ns <= 0 ? 0 : Math.max(1, (ns + 999_999) / 1_000_000);
  }

  long nextTaskId() {
    return taskIds.getAndIncrement();
  }

  void noteSequenceLength(long tokens) {
    longestSequence = Math.max(longestSequence, tokens);
  }

  /** Requests being served now (prefilling, decoding or waiting for a slot). Engine context only. */
  int liveCount() {
    return live.size();
  }

  boolean closed() {
    return closed;
  }

  void register(Generation g) {
    live.add(g);
  }

  void unregister(Generation g) {
    live.remove(g);
  }

  Snapshot snapshot() {
    return snapshot;
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

  /**
   * One timer for the whole engine, however many streams: each firing runs every step that fell due, publishes
   * the load, then hands each HTTP loop the output of its requests in one task.
   */
  private void tick() {
    timerId = -1;
    long next = scheduler.advance();
    publish(); // before the hand-off: a client that sees its stream end must find the counters settled
    flush();
    if (next == Scheduler.IDLE || closed) {
      return;
    }
    long delayMs = Math.max(1, (next - System.nanoTime() + 999_999) / 1_000_000);
    timerId = vertx.setTimer(delayMs, t -> tick());
  }

  /** {@code g} has output for its loop: it goes out with the others' at the end of this engine task. */
  void dirty(Writers w, Generation g) {
    if (w.pending == null) {
      w.pending = new ArrayList<>();
      dirty.add(w);
    }
    w.pending.add(g);
  }

  /**
   * Hands every loop that is free the output its requests gathered: one task per loop, each request's batch in
   * order. A loop still writing the last hand-off gets this output with its next one ({@link #written}).
   */
  void flush() {
    for (java.util.Iterator<Writers> it = dirty.iterator(); it.hasNext();) {
      Writers w = it.next();
      if (!w.busy) {
        it.remove();
        handOff(w);
      }
    }
  }

  private void handOff(Writers w) {
    List<Generation> gs = w.pending;
    w.pending = null;
    w.busy = true;
    List<List<Consumer<Output>>> batches = new ArrayList<>(gs.size());
    for (Generation g : gs) {
      batches.add(g.takeBatch());
    }
    w.context.runOnContext(v -> write(w, gs, batches, 0));
  }

  /**
   * On the loop: writes the requests' batches a slice at a time, so the loop reads its sockets between slices,
   * then tells the engine it is free again.
   */
  private void write(Writers w, List<Generation> gs, List<List<Consumer<Output>>> batches, int from) {
    int to = Math.min(gs.size(), from + WRITES_PER_TASK);
    RuntimeException failed = null;
    for (int i = from; i < to; i++) {
      try {
        gs.get(i).write(batches.get(i));
      } catch (RuntimeException e) {
        failed = failed == null ? e : failed; // the loop's other requests still get theirs
      }
    }
    if (to < gs.size()) {
      w.context.runOnContext(v -> write(w, gs, batches, to));
    } else {
      onEngine(() -> written(w));
    }
    if (failed != null) {
      throw failed; // for the context's exception handler to report
    }
  }

  /** Engine context: the loop wrote its hand-off; what gathered meanwhile goes now. */
  private void written(Writers w) {
    w.busy = false;
    if (w.pending != null) {
      flush();
    }
  }

  private void publish() {
    List<SlotView> slots = List.of();
    if (engine.llamaFamily()) {
      List<Seq> history = scheduler.slotHistory();
      slots = new ArrayList<>(history.size());
      for (Seq s : history) {
        slots.add(s == null ? null
            : new SlotView(s.admitted(), s.taskId, s.promptTokens, s.prefilled, s.generated, s.maxTokens, s.stream));
      }
      slots = Collections.unmodifiableList(slots);
    }
    snapshot = new Snapshot(scheduler.load(), scheduler.steps(), scheduler.busySlotSteps(), promptTokensTotal,
        generationTokensTotal, successTotal, ttftSecondsSum, ttftCount, prefillSecondsSum, decodeSecondsSum,
        longestSequence, slots);
  }

  /** Server shutdown: stop every timer without counting the ends as client aborts. Engine context, idempotent. */
  void shutdownAll() {
    if (closed) {
      return;
    }
    closed = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    for (Generation g : new ArrayList<>(live)) {
      g.shutdown();
    }
    parked.clear();
    publish();
    flush();
  }
}
