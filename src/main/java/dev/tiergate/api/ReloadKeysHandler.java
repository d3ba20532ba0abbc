package dev.tiergate.api;

import dev.tiergate.auth.Keys;
import dev.tiergate.errors.GatewayError;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /tiergate/reload-keys} (admin): re-reads {@code auth.keysFile}, like SIGHUP. 200 with
 * the number of keys in force, or 422 with the file's problems while the old keys stay.
 */
final class ReloadKeysHandler implements Handler<RoutingContext> {
  private final Services services;

  ReloadKeysHandler(Services services) {
    this.services = services;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Context here = ctx.vertx().getOrCreateContext();
    ctx.vertx().executeBlocking(services::reloadKeys, false).onComplete(ar -> here.runOnContext(v -> {
      if (ctx.response().closed()) {
        return;
      }
      if (ar.failed()) {
        Responses.error(ctx.response(), GatewayError.from(ar.cause()), 1);
        return;
      }
      Keys.Reload r = ar.result();
      JsonObject body = new JsonObject().put("reloaded", r.reloaded()).put("keys", r.keys())
          .put("problems", new JsonArray(r.problems()));
      ctx.response().setStatusCode(r.reloaded() ? 200 : 422).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON)
          .end(body.encodePrettily());
    }));
  }
}
