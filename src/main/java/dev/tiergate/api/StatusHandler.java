package dev.tiergate.api;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.fleet.BackendState;
import dev.tiergate.routing.TokenRatios;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalInt;

/** {@code GET /tiergate/status}: every tier and backend with its live state, for operators. */
final class StatusHandler implements Handler<RoutingContext> {
  private final Services services;

  StatusHandler(Services services) {
    this.services = services;
  }

  @Override
  public void handle(RoutingContext ctx) {
    JsonObject body = body(services);
    // The lifecycle answers on its own context; the response may only be written on ours.
    io.vertx.core.Context here = ctx.vertx().getOrCreateContext();
    services.lifecycles().status().onComplete(ar -> here.runOnContext(v -> {
      if (ar.succeeded() && !ar.result().isEmpty()) {
        body.put("groups", ar.result());
      }
      if (!ctx.response().closed()) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(body.encodePrettily());
      }
    }));
  }

  /** Everything but the lifecycle groups (which answer asynchronously): also the console's view of the fleet. */
  static JsonObject body(Services services) {
    long now = System.nanoTime();
    // One generation for the whole answer: a reload between two reads must not mix two configs.
    Generation gen = services.generation();
    JsonArray tiers = new JsonArray();
    for (TierConfig t : gen.config().tiers()) {
      JsonArray backends = new JsonArray();
      boolean tierUp = false;
      for (BackendConfig b : t.backends()) {
        BackendState s = gen.fleet().get(b.name());
        boolean routable = gen.fleet().routable(b.name());
        tierUp |= routable;
        OptionalInt window = gen.fleet().contextWindow(b.name());
        backends.add(new JsonObject()
            .put("name", b.name())
            .put("engine", b.engine().id())
            .put("url", b.url())
            .put("model", s.effectiveModel())
            .put("modelSource", s.modelSource())
            .put("servedModels", new JsonArray(s.servedModels()))
            .put("state", s.live() ? s.health().name().toLowerCase() : "not-live")
            .put("routable", routable)
            .put("circuit", s.circuit(now))
            .put("consecutiveFailures", s.consecutiveFailures())
            .put("inflight", s.inflight())
            .put("waiting", gen.admissions().queueLength(b.name()))
            .put("contextWindow", window.isPresent() ? window.getAsInt() : null)
            .put("contextWindowSource", s.windowSource())
            .put("promptEstimate", promptEstimate(gen.fleet().ratios(b.name())))
            .put("lastError", services.secrets().redact(s.lastError())));
      }
      tiers.add(new JsonObject().put("name", t.name()).put("scheme", t.scheme()).put("up", tierUp)
          .put("live", gen.fleet().live(t.name())).put("backends", backends));
    }
    // Removed or replaced by a reload, still finishing what started there: no new request goes to them.
    JsonArray draining = new JsonArray();
    for (BackendState s : services.reload().draining()) {
      draining.add(new JsonObject().put("name", s.config().name()).put("tier", s.tier()).put("url", s.config().url())
          .put("inflight", s.inflight()));
    }
    JsonObject body = new JsonObject()
        .put("status", services.shutdown().draining() ? "draining" : gen.fleet().anyRoutable() ? "ready" : "not_ready")
        .put("tiers", tiers)
        .put("draining", draining);
    if (services.keys().enabled()) {
      // How many keys and where their limits are counted; never a key, a hash or a name-to-key mapping.
      body.put("auth", new JsonObject().put("keys", services.keys().principals().size())
          .put("limitStore", services.config().auth().limits().store().id())
          .put("limitStoreUp", services.limits().sharedUp()));
    }
    return body;
  }

  /** What the backend learned of characters per token, from its engine's counts: samples and the ratio per kind. */
  private static JsonObject promptEstimate(TokenRatios r) {
    if (r == null) {
      return null;
    }
    double[] cpt = r.charsPerToken();
    return new JsonObject().put("samples", r.samples()).put("charsPerToken", new JsonObject()
        .put("prose", round2(cpt[0])).put("cjk", round2(cpt[1])).put("code", round2(cpt[2])));
  }

  private static double round2(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
