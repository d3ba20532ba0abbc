package dev.tiergate.admission;

import dev.tiergate.config.TierPolicy;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * Long prompts waiting for one backend's interactive streams to finish: interactive work before
 * batch work, first come first served within each. Bounded by count, by queued prompt tokens and by
 * time; while it holds anyone, it looks every {@link #CHECK_MS} whether the backend can take them.
 * Shared by the event loops, so every method is synchronized.
 */
final class BackendQueue {
  static final long CHECK_MS = 25;

  private final Vertx vertx;
  private final String backend;
  private final TierPolicy.Admission limits;
  private final BooleanSupplier mayStart;
  private final PriorityQueue<Waiter> waiting = new PriorityQueue<>(
      Comparator.comparing((Waiter w) -> w.batch).thenComparingLong(w -> w.seq));
  private long queuedTokens;
  private long seq;
  private long checker = -1;

  BackendQueue(Vertx vertx, String backend, TierPolicy.Admission limits, BooleanSupplier mayStart) {
    this.vertx = vertx;
    this.backend = backend;
    this.limits = limits;
    this.mayStart = mayStart;
  }

  /** Waits until the backend may take this prompt; null when the queue is full (the caller answers 429). */
  synchronized Waiter enter(long promptTokens, boolean batch, long retryAfterSeconds) {
    if (waiting.size() >= limits.maxQueue() || queuedTokens + promptTokens > limits.maxQueuedPrefillTokens()) {
      return null;
    }
    Waiter w = new Waiter(promptTokens, batch, seq++);
    waiting.add(w);
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
      queuedTokens -= w.promptTokens;
      w.fail(GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "a long prompt waited " + limits.maxWaitMs() + " ms (tiers[].admission"
          + ".maxWaitMs) for backend '" + backend + "' to finish its interactive streams").withRetryAfter(retryAfterSeconds));
      stopIfIdle();
    }
  }

  /** The client left while waiting: out of the queue at once. */
  synchronized void leave(Waiter w) {
    if (waiting.remove(w)) {
      queuedTokens -= w.promptTokens;
      vertx.cancelTimer(w.timer);
      stopIfIdle();
    }
  }

  /** Lets everyone in, in order, once the backend has no interactive stream left to protect. */
  private void check() {
    List<Waiter> go = new ArrayList<>();
    synchronized (this) {
      while (!waiting.isEmpty() && mayStart.getAsBoolean()) {
        Waiter w = waiting.poll();
        queuedTokens -= w.promptTokens;
        go.add(w);
      }
      stopIfIdle();
    }
    go.forEach(w -> w.release(vertx));
  }

  private void stopIfIdle() {
    if (waiting.isEmpty() && checker >= 0) {
      vertx.cancelTimer(checker);
      checker = -1;
    }
  }

  synchronized int length() {
    return waiting.size();
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
