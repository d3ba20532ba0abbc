package dev.tiergate.api;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.fleet.Fleet;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/models}: the served model names (configured, or as the engines reported them),
 * one {@code tiergate/<tier>} per tier, and the aliases.
 */
final class ModelsHandler implements Handler<RoutingContext> {
  private final Services services;

  ModelsHandler(Services services) {
    this.services = services;
  }

  private String body() {
    Generation gen = services.generation();
    GatewayConfig config = gen.config();
    Fleet fleet = gen.fleet();
    JsonArray data = new JsonArray();
    Set<String> served = new LinkedHashSet<>();
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        String m = fleet.get(b.name()).effectiveModel();
        if (m != null) {
          served.add(m);
        }
      }
    }
    served.forEach(m -> data.add(model(m).put("tiergate", new JsonObject().put("kind", "model"))));
    for (TierConfig t : config.tiers()) {
      data.add(model(Hints.MODEL_PREFIX + t.name()).put("tiergate", new JsonObject()
          .put("kind", "tier").put("tier", t.name()).put("scheme", t.scheme()).put("description", t.description())));
    }
    for (Map.Entry<String, String> a : config.routing().aliases().entrySet()) {
      data.add(model(a.getKey()).put("tiergate", new JsonObject().put("kind", "alias").put("tier", a.getValue())));
    }
    return new JsonObject().put("object", "list").put("data", data).encode();
  }

  private static JsonObject model(String id) {
    return new JsonObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "tiergate");
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(body());
  }
}
