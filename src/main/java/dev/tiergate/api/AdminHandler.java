package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.lifecycle.Lifecycles;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Operator actions on the GPUs: {@code POST /tiergate/tiers/{name}/activate} swaps to a tier now,
 * {@code POST /tiergate/groups/{name}/stop} drains and stops a group's live tier. Off unless
 * {@code lifecycle.adminEndpoints: true}: without keys, anyone who can reach the port could use them.
 */
final class AdminHandler {
  private final Lifecycles lifecycles;

  AdminHandler(Lifecycles lifecycles) {
    this.lifecycles = lifecycles;
  }

  void activate(RoutingContext ctx) {
    answer(ctx, lifecycles.activate(ctx.pathParam("name")), 202);
  }

  void stop(RoutingContext ctx) {
    answer(ctx, lifecycles.stopGroup(ctx.pathParam("name")), 200);
  }

  private static void answer(RoutingContext ctx, Future<JsonObject> f, int status) {
    Context here = ctx.vertx().getOrCreateContext();
    f.onComplete(ar -> here.runOnContext(v -> {
      if (ctx.response().closed()) {
        return;
      }
      if (ar.failed()) {
        Responses.error(ctx.response(), GatewayError.from(ar.cause()), 1);
        return;
      }
      ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(ar.result().encodePrettily());
    }));
  }
}
