package dev.tiergate.api;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TimeoutConfig;
import dev.tiergate.errors.ErrorJson;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.RequestRecorder;
import dev.tiergate.routing.Candidate;
import dev.tiergate.routing.RouteDecision;
import dev.tiergate.routing.RouteInput;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseRelay;
import dev.tiergate.upstream.Adapters;
import dev.tiergate.upstream.EngineAdapter;
import dev.tiergate.upstream.Target;
import dev.tiergate.upstream.UpstreamCall;
import dev.tiergate.upstream.UpstreamClients;
import dev.tiergate.upstream.UpstreamResult;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The generation endpoints: parse once, decide, call upstream with fallback, then relay. The
 * response is committed only once the chosen backend produced output, so every failure before
 * that can still be retried elsewhere or answered with a proper status.
 */
final class ProxyHandler implements Handler<RoutingContext> {
  private static final AtomicInteger TIE_BREAK = new AtomicInteger();

  private final Endpoint endpoint;
  private final Services services;
  private final UpstreamClients clients;
  private final FactsParser parser;
  private final GatewayConfig config;
  /** Each tier's effective timeouts, merged once rather than per request. */
  private final Map<String, TimeoutConfig> timeouts = new HashMap<>();
  private final ClientEvents.ModelLiteral modelLiteral = new ClientEvents.ModelLiteral();

  ProxyHandler(Endpoint endpoint, Services services, UpstreamClients clients) {
    this.endpoint = endpoint;
    this.services = services;
    this.clients = clients;
    this.config = services.config();
    this.parser = new FactsParser(config.routing().charsPerToken());
    config.tiers().forEach(t -> timeouts.put(t.name(), config.timeoutsFor(t)));
  }

  @Override
  public void handle(RoutingContext ctx) {
    long received = System.nanoTime();
    RequestRecorder recorder = services.metrics().begin(endpoint.id, received);
    HttpServerResponse resp = ctx.response();
    try {
      if (services.lifecycle().draining()) {
        throw GatewayError.of(Kind.SHUTTING_DOWN, "the gateway is shutting down; retry on another instance");
      }
      Buffer body = ctx.body().buffer();
      if (body == null || body.length() == 0) {
        throw GatewayError.invalid("The request body is empty; send a JSON object.", null);
      }
      RequestFacts facts = parser.parse(endpoint, body);
      RouteDecision decision = decide(ctx, facts);
      Candidate first = decision.candidates().get(0);
      services.metrics().decision(first.tier(), first.reason());
      forward(ctx, facts, decision, recorder);
    } catch (GatewayError e) {
      recorder.failed(e.kind().origin == GatewayError.Origin.CLIENT ? "client_error" : "rejected");
      Responses.error(resp, e, retryAfter());
    }
  }

  private RouteDecision decide(RoutingContext ctx, RequestFacts facts) {
    Hints hints = Hints.read(ctx.request().headers(), facts.model(), config.routing());
    if (config.routing().rejectUnknownModels() && hints.tier() == null && !knownModel(facts.model())) {
      throw GatewayError.of(Kind.MODEL_NOT_FOUND, "The model '" + facts.model() + "' does not exist; see GET /v1/models.", "model");
    }
    RouteInput in = new RouteInput(facts.promptTokens(), facts.maxTokens(), endpoint.id, facts.stream(), facts.hasTools(),
        hints.tier(), hints.source(), hints.strict(), TIE_BREAK.getAndIncrement());
    return services.router().decide(in, services.fleet());
  }

  private boolean knownModel(String model) {
    return model == null || services.fleet().all().stream()
        .anyMatch(b -> model.equals(b.effectiveModel()) || b.servedModels().contains(model));
  }

  /** A backend configured without a model name sends the one its engine reported. */
  private BackendConfig served(BackendConfig b) {
    if (b.model() != null) {
      return b;
    }
    String discovered = services.fleet().get(b.name()).effectiveModel();
    return discovered == null ? b : b.withModel(discovered);
  }

  private void forward(RoutingContext ctx, RequestFacts facts, RouteDecision decision, RequestRecorder recorder) {
    List<Target> targets = new ArrayList<>(decision.candidates().size());
    for (Candidate c : decision.candidates()) {
      targets.add(new Target(c.tier(), served(c.backend()), timeouts.get(c.tier())));
    }
    UpstreamCall.Spec spec = new UpstreamCall.Spec(endpoint.path, facts.body(), facts.stream(), facts.maxTokens(),
        config.server().maxResponseBytes(), (int) Math.min(Integer.MAX_VALUE, config.server().maxBodyBytes()),
        ctx.request().headers());
    UpstreamCall call = new UpstreamCall(ctx.vertx(), clients, services.fleet(), spec, targets);
    HttpServerResponse resp = ctx.response();
    resp.closeHandler(v -> call.cancel());
    call.open().onComplete(ar -> {
      if (ar.failed()) {
        GatewayError e = GatewayError.from(ar.cause());
        lastTried(decision, call).ifPresent(c -> recorder.attempted(c.tier(), c.backend().name()));
        recorder.failed(outcomeOf(e));
        if (!resp.closed()) {
          putDecision(resp, facts, decision, decision.candidates().get(0), call);
          Responses.error(resp, e, retryAfter());
        }
        return;
      }
      UpstreamResult r = ar.result();
      Candidate served = decision.candidates().get(r.attempt());
      if (!served.tier().equals(decision.tier())) {
        services.metrics().fallback(decision.tier(), served.tier());
      }
      recorder.upstream(served.tier(), served.backend().name(), served.backend().engine().id(), r.sentNanos());
      if (resp.closed()) {
        if (r instanceof UpstreamResult.Streaming s) {
          s.stream().cancel();
        }
        recorder.failed("cancelled");
        return;
      }
      putDecision(resp, facts, decision, served, call);
      EngineAdapter adapter = Adapters.of(served.backend().engine());
      if (r instanceof UpstreamResult.Streaming s) {
        relay(ctx, facts, s, adapter, recorder);
      } else {
        complete(resp, facts, (UpstreamResult.Complete) r, adapter, recorder);
      }
    });
  }

  private void relay(RoutingContext ctx, RequestFacts facts, UpstreamResult.Streaming s, EngineAdapter adapter,
      RequestRecorder recorder) {
    HttpServerResponse resp = ctx.response();
    resp.setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .setChunked(true);
    ClientEvents events = new ClientEvents(adapter, facts.clientWantsUsage(), facts.maxTokens(), modelLiteral.of(facts.model()),
        config.server().reasoningField());
    SseRelay relay = new SseRelay(s.stream(), resp, e -> toClient(e, events, adapter),
        t -> ErrorJson.sseEvent(GatewayError.from(t)), recorder);
    Lifecycle lifecycle = services.lifecycle();
    Object handle = lifecycle.track(ctx.vertx().getOrCreateContext(),
        why -> relay.cut(GatewayError.of(Kind.SHUTTING_DOWN, why)));
    relay.start(s.held()).onComplete(ar -> lifecycle.untrack(handle));
  }

  /** An engine's mid-stream error event, in whichever envelope it uses, reaches the client in OpenAI's. */
  private static Buffer toClient(SseEvent e, ClientEvents events, EngineAdapter adapter) {
    if (e.is(SseEvent.ERROR) && !e.is(SseEvent.OUTPUT)) {
      return Buffer.buffer(ErrorJson.sseEvent(adapter.error(500, e.data())));
    }
    return events.apply(e);
  }

  private void complete(HttpServerResponse resp, RequestFacts facts, UpstreamResult.Complete c, EngineAdapter adapter,
      RequestRecorder recorder) {
    Buffer body = new ClientEvents(adapter, true, facts.maxTokens(), modelLiteral.of(facts.model()), config.server().reasoningField())
        .body(c.body());
    recorder.body(c.status(), body, System.nanoTime());
    resp.setStatusCode(c.status()).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(body);
  }

  private void putDecision(HttpServerResponse resp, RequestFacts facts, RouteDecision d, Candidate served, UpstreamCall call) {
    String reason = served.reason();
    if (!served.tier().equals(d.tier()) && !reason.startsWith("fallback:")) {
      reason = "fallback:" + d.tier() + "-failed";
    } else if (!served.tier().equals(d.candidates().get(0).tier()) && !reason.startsWith("fallback:")) {
      reason = "fallback:" + d.candidates().get(0).tier() + "-failed";
    }
    resp.putHeader("x-tiergate-tier", served.tier())
        .putHeader("x-tiergate-backend", served.backend().name())
        .putHeader("x-tiergate-reason", reason)
        .putHeader("x-tiergate-prompt-tokens", Integer.toString(facts.promptTokens()));
    if (!call.failures().isEmpty()) {
      resp.putHeader("x-tiergate-failed", String.join(",", call.failures()));
    }
  }

  private static java.util.Optional<Candidate> lastTried(RouteDecision d, UpstreamCall call) {
    if (call.failures().isEmpty()) {
      return java.util.Optional.empty();
    }
    String last = call.failures().get(call.failures().size() - 1);
    String name = last.substring(0, last.lastIndexOf(':'));
    return d.candidates().stream().filter(c -> c.backend().name().equals(name)).findFirst();
  }

  private static String outcomeOf(GatewayError e) {
    return switch (e.kind()) {
      case UPSTREAM_TIMEOUT -> "timeout";
      case CLIENT_CLOSED -> "cancelled";
      case NO_BACKEND_AVAILABLE, SHUTTING_DOWN -> "rejected";
      default -> e.kind().origin == GatewayError.Origin.CLIENT || e.status() < 500 ? "client_error" : "upstream_error";
    };
  }

  private long retryAfter() {
    return (config.health().intervalMs() + 999) / 1000;
  }
}
