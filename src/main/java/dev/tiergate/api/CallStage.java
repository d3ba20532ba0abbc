package dev.tiergate.api;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TimeoutConfig;
import dev.tiergate.errors.ErrorJson;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.Limit;
import dev.tiergate.routing.Candidate;
import dev.tiergate.stream.BufferBudget;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseRelay;
import dev.tiergate.upstream.Adapters;
import dev.tiergate.upstream.EngineAdapter;
import dev.tiergate.upstream.Target;
import dev.tiergate.upstream.UpstreamCall;
import dev.tiergate.upstream.UpstreamClients;
import dev.tiergate.upstream.UpstreamResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls the decided backends with fallback, then answers: a stream is relayed from its first
 * output on, a whole body is fixed up and sent. The response is committed only once the chosen
 * backend produced output, so every failure before that can still be retried elsewhere or answered
 * with a proper status by the pipeline. The returned future ends when the response does.
 */
final class CallStage implements Stage {
  private final Services services;
  private final UpstreamClients clients;
  private final BufferBudget budget;
  private final GatewayConfig config;
  /** Each tier's effective timeouts, merged once rather than per request. */
  private final Map<String, TimeoutConfig> timeouts = new HashMap<>();
  private final ClientEvents.ModelLiteral modelLiteral = new ClientEvents.ModelLiteral();

  CallStage(Services services, UpstreamClients clients, BufferBudget budget) {
    this.services = services;
    this.clients = clients;
    this.budget = budget;
    this.config = services.config();
    config.tiers().forEach(t -> timeouts.put(t.name(), config.timeoutsFor(t)));
  }

  @Override
  public Future<Void> apply(Exchange x) {
    List<Target> targets = new ArrayList<>(x.decision.candidates().size());
    for (Candidate c : x.decision.candidates()) {
      targets.add(new Target(c.tier(), served(c.backend()), timeouts.get(c.tier())));
    }
    RequestFacts f = x.facts;
    UpstreamCall.Spec spec = new UpstreamCall.Spec(x.endpoint.path, f.body(), f.stream(), f.maxTokens(),
        config.server().maxResponseBytes(), (int) Math.min(Integer.MAX_VALUE, config.server().maxEventBytes()),
        x.request.headers(), budget, () -> services.metrics().limitHit(Limit.EVENT_SIZE),
        () -> services.metrics().limitHit(Limit.BUFFERED_BYTES), f.promptTokens(), !x.hints.batch());
    UpstreamCall call = new UpstreamCall(x.ctx.vertx(), clients, services.fleet(), spec, targets);
    x.call = call;
    x.response.closeHandler(v -> call.cancel());
    return call.open().compose(r -> answer(x, r));
  }

  /** A backend configured without a model name sends the one its engine reported. */
  private BackendConfig served(BackendConfig b) {
    if (b.model() != null) {
      return b;
    }
    String discovered = services.fleet().get(b.name()).effectiveModel();
    return discovered == null ? b : b.withModel(discovered);
  }

  private Future<Void> answer(Exchange x, UpstreamResult r) {
    Candidate served = x.decision.candidates().get(r.attempt());
    if (!served.tier().equals(x.decision.tier())) {
      services.metrics().fallback(x.decision.tier(), served.tier());
    }
    x.recorder.upstream(served.tier(), served.backend().name(), served.backend().engine().id(), r.sentNanos());
    if (x.response.closed()) {
      if (r instanceof UpstreamResult.Streaming s) {
        s.stream().cancel();
      } else if (r instanceof UpstreamResult.Complete c) {
        c.release();
      }
      return Future.failedFuture(GatewayError.of(Kind.CLIENT_CLOSED, "client closed the request"));
    }
    Decision.put(x, served);
    commit(x);
    EngineAdapter adapter = Adapters.of(served.backend().engine());
    if (r instanceof UpstreamResult.Streaming s) {
      return relay(x, s, adapter);
    }
    complete(x, (UpstreamResult.Complete) r, adapter);
    return Future.succeededFuture();
  }

  /** From here on nothing can be resent: the body's memory goes back to the budget and to the collector. */
  private static void commit(Exchange x) {
    x.committed = true;
    x.releaseBody();
    x.body = null;
    x.facts = x.facts.withoutBody();
  }

  private Future<Void> relay(Exchange x, UpstreamResult.Streaming s, EngineAdapter adapter) {
    HttpServerResponse resp = x.response;
    resp.setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .setChunked(true);
    RequestFacts f = x.facts;
    ClientEvents events = new ClientEvents(adapter, f.clientWantsUsage(), f.maxTokens(), modelLiteral.of(f.model()),
        config.server().reasoningField());
    SseRelay relay = new SseRelay(s.stream(), resp, e -> toClient(e, events, adapter),
        t -> ErrorJson.sseEvent(GatewayError.from(t)), x.recorder);
    Shutdown shutdown = services.shutdown();
    Object handle = shutdown.track(x.ctx.vertx().getOrCreateContext(), x.recorder.tier(),
        why -> relay.cut(GatewayError.of(Kind.SHUTTING_DOWN, why)));
    Promise<Void> done = Promise.promise();
    relay.start(s.held()).onComplete(ar -> {
      shutdown.untrack(handle);
      done.complete();
    });
    return done.future();
  }

  /** An engine's mid-stream error event, in whichever envelope it uses, reaches the client in OpenAI's. */
  private Buffer toClient(SseEvent e, ClientEvents events, EngineAdapter adapter) {
    if (e.is(SseEvent.ERROR) && !e.is(SseEvent.OUTPUT)) {
      return Buffer.buffer(ErrorJson.sseEvent(clients.secrets().redact(adapter.error(500, e.data()))));
    }
    return events.apply(e);
  }

  private void complete(Exchange x, UpstreamResult.Complete c, EngineAdapter adapter) {
    RequestFacts f = x.facts;
    Buffer body = new ClientEvents(adapter, true, f.maxTokens(), modelLiteral.of(f.model()), config.server().reasoningField())
        .body(c.body());
    c.release();
    x.recorder.body(c.status(), body, System.nanoTime());
    x.response.setStatusCode(c.status()).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(body);
  }
}
