package dev.tiergate.admission;

import dev.tiergate.config.TierPolicy;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.routing.Candidate;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Long prompts waiting for one backend's interactive streams to finish: interactive work before
 * batch work, first come first served within each. Bounded by count, by queued prompt tokens and by
 * time; while it holds anyone, it looks every {@link #CHECK_MS} whether the backend can take them,
 * and, while it cannot, whether another of a waiter's candidates can (a backend whose interactive
 * streams never pause must not hold a prompt that an idle tier could start). Shared by the event
 * loops, so every method that changes the queue is synchronized.
 */
final class BackendQueue {
  static final long CHECK_MS = 25;

  private final Vertx vertx;
  private final String backend;
  private final TierPolicy.Admission limits;
  private final Predicate<Waiter> mayStart;
  private final ToIntFunction<Waiter> elsewhere;
  private final PriorityQueue<Waiter> waiting = new PriorityQueue<>(
      Comparator.comparing((Waiter w) -> w.batch).thenComparingLong(w -> w.seq));
  private long queuedTokens;
  /** The queue's length, readable without the lock (another queue asks whether this one is empty). */
  private volatile int size;
  private long seq;
  private long checker = -1;

  BackendQueue(Vertx vertx, String backend, TierPolicy.Admission limits, BooleanSupplier mayStart) {
    this(vertx, backend, limits, w -> mayStart.getAsBoolean(), w -> -1);
  }

  /**
   * @param mayStart whether the backend can take this waiter now (asked in queue order, and only once it says yes
   *     is the waiter let through: it may claim the backend)
   * @param elsewhere for a waiter this backend cannot take yet, the index of another of its candidates that can take
   *     it now, or -1
   */
  BackendQueue(Vertx vertx, String backend, TierPolicy.Admission limits, Predicate<Waiter> mayStart,
      ToIntFunction<Waiter> elsewhere) {
    this.vertx = vertx;
    this.backend = backend;
    this.limits = limits;
    this.mayStart = mayStart;
    this.elsewhere = elsewhere;
  }

  /** Waits until the backend may take this prompt; null when the queue is full (the caller answers 429). */
  Waiter enter(long promptTokens, boolean batch, long retryAfterSeconds) {
    return enter(promptTokens, batch, retryAfterSeconds, List.of());
  }

  /** As {@link #enter(long, boolean, long)}, for a request that may also start on its other {@code candidates}. */
  synchronized Waiter enter(long promptTokens, boolean batch, long retryAfterSeconds, List<Candidate> candidates) {
    if (waiting.size() >= limits.maxQueue() || queuedTokens + promptTokens > limits.maxQueuedPrefillTokens()) {
      return null;
    }
    Waiter w = new Waiter(promptTokens, batch, seq++, candidates);
    waiting.add(w);
    size = waiting.size();
    queuedTokens += promptTokens;
    w.timer = vertx.setTimer(limits.maxWaitMs(), id -> expire(w, retryAfterSeconds));
    if (checker < 0) {
      checker = vertx.setPeriodic(CHECK_MS, id -> check());
    }
    return w;
  }

  /** Why a full queue refused a prompt, for the 429. */
  synchronized GatewayError full(long retryAfterSeconds) {
    return GatewayError.of(Kind.RATE_LIMITED, "backend '" + backend + "' already holds " + waiting.size()
        + " long prompts (" + queuedTokens + " tokens) waiting for its interactive streams"
        + " (tiers[].admission maxQueue / maxQueuedPrefillTokens); retry later").withRetryAfter(retryAfterSeconds);
  }

  private synchronized void expire(Waiter w, long retryAfterSeconds) {
    if (waiting.remove(w)) {
      size = waiting.size();
      queuedTokens -= w.promptTokens;
      w.fail(GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "a long prompt waited " + limits.maxWaitMs() + " ms (tiers[].admission"
          + ".maxWaitMs) for backend '" + backend + "' to finish its interactive streams").withRetryAfter(retryAfterSeconds));
      stopIfIdle();
    }
  }

  /** The client left while waiting: out of the queue at once. */
  synchronized void leave(Waiter w) {
    if (waiting.remove(w)) {
      size = waiting.size();
      queuedTokens -= w.promptTokens;
      vertx.cancelTimer(w.timer);
      stopIfIdle();
    }
  }

  /**
   * Lets waiters in, in order, while the backend can take them; then each waiter (in order) that
   * another of its candidates can take now goes there.
   */
  private void check() {
    List<Waiter> go = new ArrayList<>();
    List<Integer> to = new ArrayList<>();
    synchronized (this) {
      while (!waiting.isEmpty() && mayStart.test(waiting.peek())) {
        go.add(take(waiting.poll()));
        to.add(0);
      }
      if (!waiting.isEmpty()) {
        List<Waiter> inOrder = new ArrayList<>(waiting);
        inOrder.sort(waiting.comparator());
        for (Waiter w : inOrder) {
          int i = elsewhere.applyAsInt(w);
          if (i > 0 && waiting.remove(w)) {
            go.add(take(w));
            to.add(i);
          }
        }
      }
      size = waiting.size();
      stopIfIdle();
    }
    for (int i = 0; i < go.size(); i++) {
      go.get(i).release(vertx, to.get(i));
    }
  }

  private Waiter take(Waiter w) {
    queuedTokens -= w.promptTokens;
    return w;
  }

  private void stopIfIdle() {
    if (waiting.isEmpty() && checker >= 0) {
      vertx.cancelTimer(checker);
      checker = -1;
    }
  }

  int length() {
    return size;
  }

  synchronized long queuedTokens() {
    return queuedTokens;
  }

  /** The client left while waiting: answered (so nothing waits on it) and out of the queue. */
  void cancel(Waiter w) {
    leave(w);
    w.fail(GatewayError.of(Kind.CLIENT_CLOSED, "the client left while its prompt waited for admission"));
  }
}
