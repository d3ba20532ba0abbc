package dev.tiergate.api;

import dev.tiergate.admission.Admissions;
import dev.tiergate.admission.Admitted;
import dev.tiergate.config.Api;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

/**
 * Admission control: a long prompt starts where it starves no interactive stream, or waits
 * (bounded, first come first served, interactive before batch) until it can. The wait counts in the
 * request's TTFT and is told in {@code x-tiergate-queued-ms}; a client that leaves while waiting
 * leaves the queue at once.
 */
final class AdmitStage implements Stage {
  static final String QUEUED = "x-tiergate-queued-ms";

  private final Services services;

  AdmitStage(Services services) {
    this.services = services;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    if (!x.endpoint.api.generates() && x.endpoint.api != Api.EMBEDDINGS && x.endpoint.api != Api.RERANK) {
      // A token counter runs no prefill: nothing to protect the decodes from.
      return Future.succeededFuture();
    }
    Admissions admissions = x.gen.admissions();
    if (!admissions.any()) {
      return Future.succeededFuture();
    }
    Admissions.Ticket t = admissions.admit(x.decision, x.facts.promptTokens(), x.hints.batch());
    Future<Admitted> f = t.future();
    if (f.isComplete()) {
      if (f.failed()) {
        throw GatewayError.from(f.cause());
      }
      x.decision = f.result().decision();
      return Future.succeededFuture();
    }
    Context here = x.ctx.vertx().getOrCreateContext();
    Promise<Void> done = Promise.promise();
    x.response.closeHandler(v -> {
      t.cancel();
      done.tryFail(GatewayError.of(Kind.CLIENT_CLOSED, "the client left while its prompt waited for admission"));
    });
    f.onComplete(ar -> here.runOnContext(v -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      Admitted a = ar.result();
      x.decision = a.decision();
      x.response.putHeader(QUEUED, Long.toString(a.waitedNanos() / 1_000_000));
      services.metrics().queueWaited(a.decision().candidates().get(0).tier(), x.hints.batch(), a.waitedNanos());
      done.tryComplete();
    }));
    return done.future();
  }
}
