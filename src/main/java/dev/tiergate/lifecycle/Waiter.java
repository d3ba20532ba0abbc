package dev.tiergate.lifecycle;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.Promise;

/** A request waiting for a tier to be live. Answered exactly once, on the lifecycle's context. */
final class Waiter {
  final String tier;
  final String liveAtArrival;
  final long since = System.nanoTime();
  long timer = -1;
  private final Promise<Swapped> promise = Promise.promise();

  Waiter(String tier, String liveAtArrival) {
    this.tier = tier;
    this.liveAtArrival = liveAtArrival;
  }

  Future<Swapped> future() {
    return promise.future();
  }

  void ready(String from, String to) {
    promise.tryComplete(new Swapped(from, to, System.nanoTime() - since));
  }

  void fail(GatewayError e) {
    promise.tryFail(e);
  }
}
