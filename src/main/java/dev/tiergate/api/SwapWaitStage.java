package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.lifecycle.Lifecycles;
import dev.tiergate.lifecycle.Swapped;
import dev.tiergate.routing.RouteDecision;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * The wanted tier shares its GPUs with the live one and this request must have it (strict hint,
 * or the group's {@code whenNotLive: wait}): wait, in the group's bounded FIFO queue, while the
 * lifecycle swaps, then decide again with the tier live. A client that leaves while waiting leaves
 * the queue at once. The wait counts in the request's TTFT, and the response says how long it was.
 */
final class SwapWaitStage implements Stage {
  static final String WAITED = "x-tiergate-waited-ms";

  private final Services services;
  private final RouteStage route;

  SwapWaitStage(Services services, RouteStage route) {
    this.services = services;
    this.route = route;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    RouteDecision d = x.decision;
    if (!d.needsSwap()) {
      return Future.succeededFuture();
    }
    Lifecycles lifecycles = services.lifecycles();
    Lifecycles.Wait wait = lifecycles.await(d.swapTo());
    Context here = x.ctx.vertx().getOrCreateContext();
    Promise<Void> done = Promise.promise();
    x.response.closeHandler(v -> {
      wait.cancel();
      done.tryFail(GatewayError.of(Kind.CLIENT_CLOSED, "the client left while waiting for tier '" + d.swapTo() + "'"));
    });
    wait.future().onComplete(ar -> here.runOnContext(v -> {
      if (done.future().isComplete()) {
        return;
      }
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      Swapped s = ar.result();
      x.response.putHeader(WAITED, Long.toString(s.waitedNanos() / 1_000_000));
      try {
        if (s.swapped()) {
          x.reasonOverride = "swap:" + (s.from() == null ? "none" : s.from()) + "->" + s.to();
        }
        route.decide(x);
        if (x.decision.needsSwap()) {
          throw GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "tier '" + d.swapTo() + "' was swapped out again before this"
              + " request could use it").withRetryAfter(lifecycles.retryAfterSeconds(d.swapTo()));
        }
        done.complete();
      } catch (RuntimeException e) {
        done.fail(e);
      }
    }));
    return done.future();
  }
}
