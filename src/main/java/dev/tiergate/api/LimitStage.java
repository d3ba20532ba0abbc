package dev.tiergate.api;

import dev.tiergate.auth.Admission;
import dev.tiergate.auth.Principal;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.KeyRejection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * What this key may do with this request: the tier it asked for by name (403 naming its tiers),
 * then its RPM, TPM (charged with the prompt estimate) and concurrency (429 with Retry-After).
 * It runs after parse, for the estimate, and before route, so a refused request costs no routing.
 * An admitted request gives its slot back, and has its tokens corrected to the engine's usage,
 * when its record completes: exactly once, on every path (answered, failed, client gone, cut).
 */
final class LimitStage implements Stage {
  private final Services services;

  LimitStage(Services services) {
    this.services = services;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    Principal p = x.principal;
    if (p == null) {
      return Future.succeededFuture();
    }
    String asked = x.hints == null ? null : x.hints.tier();
    if (asked != null && x.gen.router().hasTier(asked) && !p.allows(asked)) {
      services.metrics().keyRejected(p.name(), KeyRejection.FORBIDDEN_TIER);
      throw GatewayError.of(Kind.FORBIDDEN_TIER, "The key '" + p.name() + "' may not use tier '" + asked + "'; its tiers: "
          + p.tiersText() + ".", "header".equals(x.hints.source()) ? Hints.TIER_HEADER : "model");
    }
    Future<Admission> f = services.limits().acquire(p, estimate(x));
    if (f.isComplete()) {
      return f.succeeded() ? admitted(x, f.result()) : f.mapEmpty();
    }
    // Redis answers on its own connection's thread; the response may only be touched on the request's.
    Context here = x.ctx.vertx().getOrCreateContext();
    Promise<Void> done = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == here) {
        settle(x, ar.succeeded() ? ar.result() : null, ar.cause(), done);
      } else {
        here.runOnContext(v -> settle(x, ar.succeeded() ? ar.result() : null, ar.cause(), done));
      }
    });
    return done.future();
  }

  private void settle(Exchange x, Admission a, Throwable failure, Promise<Void> done) {
    if (a == null) {
      done.fail(failure);
      return;
    }
    try {
      admitted(x, a);
      done.complete();
    } catch (GatewayError e) {
      done.fail(e);
    }
  }

  private Future<Void> admitted(Exchange x, Admission a) {
    RateLimitHeaders.put(x.response, a);
    Principal p = x.principal;
    if (!a.admitted()) {
      services.metrics().keyRejected(p.name(), KeyRejection.RATE_LIMITED);
      throw refused(p, a, estimate(x));
    }
    x.admission = a;
    long estimate = estimate(x);
    x.recorder.onFinish((prompt, completion, reached) ->
        a.finish(reached ? (prompt >= 0 ? prompt : estimate) + Math.max(0, completion) : 0));
    return Future.succeededFuture();
  }

  private static int estimate(Exchange x) {
    return x.facts == null ? 0 : Math.max(0, x.facts.promptTokens());
  }

  /** OpenAI's wording, with the key's name and the limit that bit. */
  static GatewayError refused(Principal p, Admission a, long tokens) {
    Admission.Reason r = a.refused();
    String wait = RateLimitHeaders.duration(a.retryAfterMs());
    String msg = switch (r) {
      case REQUESTS -> "Rate limit reached for key '" + p.name() + "' on " + r.limit + ": Limit " + p.rpm()
          + ". Please try again in " + wait + ".";
      case TOKENS -> "Rate limit reached for key '" + p.name() + "' on " + r.limit + ": Limit " + p.tpm() + ", Requested "
          + tokens + ". Please try again in " + wait + ".";
      case TOO_LARGE -> "Request too large for key '" + p.name() + "' on " + r.limit + ": Limit " + p.tpm() + ", Requested "
          + tokens + ". Shorten the prompt, or ask for a higher tpm.";
      case CONCURRENCY -> "Too many requests at once for key '" + p.name() + "': Limit " + p.maxConcurrent()
          + " (maxConcurrent). Please try again when one has finished.";
    };
    return GatewayError.of(Kind.RATE_LIMITED, msg).withRetryAfter(Math.max(1, (a.retryAfterMs() + 999) / 1000));
  }
}
