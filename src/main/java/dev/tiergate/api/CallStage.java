package dev.tiergate.api;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.api.translate.MessagesToChat;
import dev.tiergate.api.translate.ResponsesToChat;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.Limit;
import dev.tiergate.routing.Candidate;
import dev.tiergate.routing.TextMix;
import dev.tiergate.stream.BufferBudget;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseRelay;
import dev.tiergate.upstream.Adapters;
import dev.tiergate.upstream.EngineAdapter;
import dev.tiergate.upstream.RequestBody;
import dev.tiergate.upstream.Support;
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
import java.util.List;
import java.util.function.Supplier;

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
  /** The server section: it never changes while the gateway runs. */
  private final GatewayConfig config;
  private final ClientEvents.ModelLiteral modelLiteral = new ClientEvents.ModelLiteral();
  /** The parser of the generation last seen on this event loop, for translated requests. */
  private Generation parserGen;
  private FactsParser chatParser;

  CallStage(Services services, UpstreamClients clients, BufferBudget budget) {
    this.services = services;
    this.clients = clients;
    this.budget = budget;
    this.config = services.config();
  }

  @Override
  public Future<Void> apply(Exchange x) {
    Generation gen = x.gen;
    List<Target> targets = new ArrayList<>(x.decision.candidates().size());
    boolean translates = false;
    for (Candidate c : x.decision.candidates()) {
      boolean translate = Adapters.support(c.backend(), x.endpoint.api) == Support.TRANSLATED;
      translates |= translate;
      targets.add(new Target(c.tier(), served(gen, c.backend()), gen.timeouts().get(c.tier()), translate));
    }
    RequestFacts f = x.facts;
    if (x.endpoint.api.generates()) {
      // Embeddings and rerank usually run another model (another tokenizer): only generation teaches the estimate.
      TextMix mix = f.mix();
      x.recorder.estimated(f.promptTokens(), (backend, counted) -> gen.fleet().learned(backend, mix, counted));
    }
    if (translates && gen != parserGen) {
      chatParser = new FactsParser(gen.config().routing().charsPerToken());
      parserGen = gen;
    }
    FactsParser parser = chatParser;
    Supplier<RequestBody> chat = translates ? () -> chatForm(parser, x.endpoint, f.body()) : null;
    UpstreamCall.Spec spec = new UpstreamCall.Spec(x.endpoint.api, f.body(), f.stream(), f.maxTokens(),
        config.server().maxResponseBytes(), (int) Math.min(Integer.MAX_VALUE, config.server().maxEventBytes()),
        x.request.headers(), budget, () -> services.metrics().limitHit(Limit.EVENT_SIZE),
        () -> services.metrics().limitHit(Limit.BUFFERED_BYTES), f.promptTokens(), !x.hints.batch(), chat);
    UpstreamCall call = new UpstreamCall(x.ctx.vertx(), clients, gen.fleet(), spec, targets);
    x.call = call;
    x.response.closeHandler(v -> call.cancel());
    return call.open().compose(r -> answer(x, r));
  }

  /**
   * The request as a chat completion, for a backend whose engine lacks the client's API; checked
   * like any chat request, so a translation can never hand an engine what a client could not.
   */
  private static RequestBody chatForm(FactsParser parser, Endpoint endpoint, RequestBody body) {
    Buffer chat = endpoint == Endpoint.MESSAGES ? MessagesToChat.request(body.bytes()) : ResponsesToChat.request(body.bytes());
    return parser.parse(Endpoint.CHAT, chat).body();
  }

  /** A backend configured without a model name sends the one its engine reported. */
  private static BackendConfig served(Generation gen, BackendConfig b) {
    if (b.model() != null) {
      return b;
    }
    String discovered = gen.fleet().get(b.name()).effectiveModel();
    return discovered == null ? b : b.withModel(discovered);
  }

  private Future<Void> answer(Exchange x, UpstreamResult r) {
    Candidate served = x.decision.candidates().get(r.attempt());
    if (!served.tier().equals(x.decision.tier())) {
      services.metrics().fallback(x.decision.tier(), served.tier());
    }
    x.recorder.upstream(served.tier(), served.backend().name(), served.backend().engine().id(), r.sentNanos());
    x.recorder.conditions(x.call.aheadAtStart(), x.call.decodingAtStart());
    x.recorder.batch(x.hints.batch());
    x.recorder.predicted(x.decision.predictedTtftMs(served.backend().name()));
    if (x.response.closed()) {
      if (r instanceof UpstreamResult.Streaming s) {
        s.stream().cancel();
      } else if (r instanceof UpstreamResult.Complete c) {
        c.release();
      }
      return Future.failedFuture(GatewayError.of(Kind.CLIENT_CLOSED, "client closed the request"));
    }
    Decision.put(x, served);
    EngineAdapter adapter = Adapters.of(served.backend().engine());
    Render render = render(x, r.target(), adapter);
    if (r instanceof UpstreamResult.Streaming s) {
      commit(x);
      return relay(x, s, adapter, render);
    }
    complete(x, (UpstreamResult.Complete) r, render);
    return Future.succeededFuture();
  }

  /** How this answer reaches the client: by the client's API, and whether the backend spoke it or chat. */
  private Render render(Exchange x, Target target, EngineAdapter adapter) {
    RequestFacts f = x.facts;
    if (target.translate()) {
      return Translated.of(x.endpoint, f, adapter);
    }
    return switch (x.endpoint.api) {
      case CHAT, COMPLETIONS -> new ClientEvents(adapter, f.clientWantsUsage(), f.maxTokens(), modelLiteral.of(f.model()),
          config.server().reasoningField());
      default -> new NamedEvents(modelLiteral.of(f.model()), adapter.namedFixer(x.endpoint.api));
    };
  }

  /** From here on nothing can be resent: the body's memory goes back to the budget and to the collector. */
  private static void commit(Exchange x) {
    x.committed = true;
    x.releaseBody();
    x.body = null;
    x.facts = x.facts.withoutBody();
  }

  private Future<Void> relay(Exchange x, UpstreamResult.Streaming s, EngineAdapter adapter, Render render) {
    HttpServerResponse resp = x.response;
    resp.setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        .setChunked(true);
    ErrorShape shape = x.endpoint.errors;
    SseRelay relay = new SseRelay(s.stream(), resp, e -> toClient(e, render, adapter, shape),
        t -> shape.event(GatewayError.from(t)), x.recorder);
    if (render.rendersDone()) {
      relay.renderDone();
    }
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

  /** An engine's mid-stream error event, in whichever envelope it uses, reaches the client in its API's. */
  private Buffer toClient(SseEvent e, Render render, EngineAdapter adapter, ErrorShape shape) {
    if (e.is(SseEvent.ERROR) && !e.is(SseEvent.OUTPUT)) {
      return Buffer.buffer(shape.event(clients.secrets().redact(adapter.error(500, e.data()))));
    }
    try {
      return render.event(e);
    } catch (GatewayError unreadable) {
      // A translation could not read the engine's chunk: the client hears it in its API's words.
      return Buffer.buffer(shape.event(unreadable));
    }
  }

  /** Rendered before committing: a body the client's API cannot be made from is still answered with a status. */
  private void complete(Exchange x, UpstreamResult.Complete c, Render render) {
    Buffer body;
    try {
      body = render.body(c.body());
    } finally {
      c.release();
    }
    commit(x);
    x.recorder.body(c.status(), body, System.nanoTime());
    x.response.setStatusCode(c.status()).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(body);
  }
}
