package dev.tiergate.admission;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/** One long prompt held back from a backend; answered exactly once, from whichever thread decides. */
final class Waiter {
  final long promptTokens;
  final boolean batch;
  final long since = System.nanoTime();
  final long seq;
  long timer = -1;
  private final Promise<Long> promise = Promise.promise();

  Waiter(long promptTokens, boolean batch, long seq) {
    this.promptTokens = promptTokens;
    this.batch = batch;
    this.seq = seq;
  }

  Future<Long> future() {
    return promise.future();
  }

  boolean release(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return promise.tryComplete(System.nanoTime() - since);
  }

  boolean fail(GatewayError e) {
    return promise.tryFail(e);
  }
}
