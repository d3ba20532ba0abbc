package dev.tiergate.admission;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.routing.Candidate;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;

/** One long prompt held back from a backend; answered exactly once, from whichever thread decides. */
final class Waiter {
  final long promptTokens;
  final boolean batch;
  final long since = System.nanoTime();
  final long seq;
  /** The request's candidates, the one whose queue holds it first. */
  final List<Candidate> candidates;
  long timer = -1;
  /**
   * Which of the request's candidates it goes to when released: 0, the backend whose queue holds it, or another
   * that could take it first. Written before {@link #release} completes the future.
   */
  volatile int candidate;
  private final Promise<Long> promise = Promise.promise();

  Waiter(long promptTokens, boolean batch, long seq, List<Candidate> candidates) {
    this.promptTokens = promptTokens;
    this.batch = batch;
    this.seq = seq;
    this.candidates = candidates;
  }

  Future<Long> future() {
    return promise.future();
  }

  boolean release(Vertx vertx) {
    return release(vertx, 0);
  }

  boolean release(Vertx vertx, int to) {
    candidate = to;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return promise.tryComplete(System.nanoTime() - since);
  }

  boolean fail(GatewayError e) {
    return promise.tryFail(e);
  }
}
