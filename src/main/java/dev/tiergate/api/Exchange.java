package dev.tiergate.api;

import dev.tiergate.auth.Admission;
import dev.tiergate.auth.Principal;
import dev.tiergate.metrics.RequestRecorder;
import dev.tiergate.routing.RouteDecision;
import dev.tiergate.stream.BufferBudget;
import dev.tiergate.upstream.UpstreamCall;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One request on its way through the stages. Confined to the request's event loop, so plain
 * fields: each stage reads what earlier stages left and adds its own part.
 */
final class Exchange {
  final RoutingContext ctx;
  final HttpServerRequest request;
  final HttpServerResponse response;
  final Endpoint endpoint;
  final String id;
  final RequestRecorder recorder;
  /** The key the request came with (null when the gateway has no keys), and its place in the key's limits. */
  Principal principal;
  Admission admission;
  /** The whole body, held until no further attempt can need it. */
  Buffer body;
  /** The config generation this request follows from parse to its end (taken once, when its body has arrived). */
  Generation gen;
  RequestFacts facts;
  Hints hints;
  RouteDecision decision;
  /** The reason to show instead of the decision's own (a request that waited for a swap: {@code swap:a->b}). */
  String reasonOverride;
  UpstreamCall call;
  /** True once a response head went out: later failures are error events, not statuses. */
  boolean committed;
  /** True once the read stage took the body's handlers: what is left of it can no longer be dropped and the connection kept. */
  boolean bodyStarted;
  private BufferBudget budget;
  private long reserved;

  Exchange(RoutingContext ctx, Endpoint endpoint, String id, RequestRecorder recorder) {
    this.ctx = ctx;
    this.request = ctx.request();
    this.response = ctx.response();
    this.endpoint = endpoint;
    this.id = id;
    this.recorder = recorder;
  }

  /** Bytes this request holds against the shared buffer budget, returned by {@link #releaseBody()}. */
  void holding(BufferBudget b, long bytes) {
    this.budget = b;
    this.reserved += bytes;
  }

  /** The body can no longer be resent (committed, or the request is over): give its bytes back. */
  void releaseBody() {
    if (budget != null && reserved > 0) {
      budget.release(reserved);
      reserved = 0;
    }
  }
}
