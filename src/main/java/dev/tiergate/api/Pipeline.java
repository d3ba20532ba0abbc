package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.RequestRecorder;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Runs a request through its stages in order, and is the one place where a request that cannot go
 * on is answered: every stage's failure becomes an error in the endpoint's shape, with the
 * decision headers known so far, recorded once. An exception that is not a {@code GatewayError}
 * is a bug: it is logged once with its stack, counted, and answered 500 without details.
 */
final class Pipeline implements Handler<RoutingContext> {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.api");

  private final Endpoint endpoint;
  private final Services services;
  private final Stage[] stages;
  private final AccessLog access;

  Pipeline(Endpoint endpoint, Services services, List<Stage> stages) {
    this.endpoint = endpoint;
    this.services = services;
    this.stages = stages.toArray(new Stage[0]);
    this.access = new AccessLog(services.config().server().accessLog());
  }

  @Override
  public void handle(RoutingContext ctx) {
    // Nothing of the body may arrive before the read stage has its handlers in place.
    ctx.request().pause();
    String id = ctx.response().headers().get(Decision.REQUEST_ID);
    RequestRecorder recorder = services.metrics().begin(endpoint.id, System.nanoTime());
    Exchange x = new Exchange(ctx, endpoint, id, recorder);
    if (access.on()) {
      recorder.onRecorded((sample, status) -> access.write(x, sample, status));
    }
    run(x, 0);
  }

  private void run(Exchange x, int from) {
    for (int i = from; i < stages.length; i++) {
      Future<Void> f;
      try {
        f = stages[i].apply(x);
      } catch (RuntimeException e) {
        fail(x, e);
        return;
      }
      if (!f.isComplete()) {
        int next = i + 1;
        f.onComplete(ar -> {
          if (ar.succeeded()) {
            run(x, next);
          } else {
            fail(x, ar.cause());
          }
        });
        return;
      }
      if (f.failed()) {
        fail(x, f.cause());
        return;
      }
    }
  }

  private void fail(Exchange x, Throwable t) {
    x.releaseBody();
    GatewayError e;
    if (t instanceof GatewayError g) {
      e = g;
    } else {
      LOG.log(System.Logger.Level.ERROR, "request " + x.id + " on " + endpoint.path + " failed unexpectedly", t);
      services.metrics().internalError();
      e = GatewayError.of(Kind.INTERNAL, "internal gateway error (request id " + x.id + ")", t);
    }
    Decision.lastTried(x).ifPresent(c -> x.recorder.attempted(c.tier(), c.backend().name()));
    x.recorder.failed(Decision.outcomeOf(e), x.committed ? 200 : e.status());
    if (x.committed || x.response.closed()) {
      return;
    }
    Decision.put(x, e);
    if (!x.request.isEnded()) {
      Connections.finishUnread(x);
    }
    Responses.error(x.response, e, Decision.retryAfterSeconds(e, x.gen != null ? x.gen.config() : services.config()), endpoint.errors);
  }
}
