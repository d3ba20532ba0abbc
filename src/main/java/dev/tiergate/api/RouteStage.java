package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.routing.Candidate;
import dev.tiergate.routing.RouteInput;
import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** The policy's decision for this request: which tiers and backends to try, in order, and why. */
final class RouteStage implements Stage {
  private static final AtomicInteger TIE_BREAK = new AtomicInteger();

  private final Services services;

  RouteStage(Services services) {
    this.services = services;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    if (services.shutdown().draining()) {
      // The body was still arriving when the drain began: no new work starts now.
      throw GatewayError.of(Kind.SHUTTING_DOWN, "the gateway is shutting down; retry on another instance");
    }
    decide(x);
    return Future.succeededFuture();
  }

  /** Decides (again, after a swap wait) and counts the decision once it names backends to try. */
  void decide(Exchange x) {
    RequestFacts f = x.facts;
    Hints h = x.hints;
    RouteInput in = new RouteInput(f.promptTokens(), f.maxTokens(), x.endpoint.id, f.stream(), f.hasTools(),
        h.tier(), h.source(), h.strict(), TIE_BREAK.getAndIncrement(), h.maxTtftMs(),
        x.principal == null ? null : x.principal.tiers());
    x.decision = x.gen.router().decide(in, x.gen.fleet());
    if (!x.decision.needsSwap()) {
      Candidate first = x.decision.candidates().get(0);
      services.metrics().decision(first.tier(), x.reasonOverride != null ? x.reasonOverride : first.reason());
    }
  }
}
