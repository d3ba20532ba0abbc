package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /tiergate/reload} (admin once the gateway has keys): reads the config file again, like
 * SIGHUP. 200 with what changed (backends and tiers added, removed and changed, whether the rules
 * changed); a file with problems changes nothing and is answered 400 with each problem's key path.
 */
final class ReloadHandler implements Handler<RoutingContext> {
  private final Services services;

  ReloadHandler(Services services) {
    this.services = services;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Context here = ctx.vertx().getOrCreateContext();
    services.reload().reload("POST /tiergate/reload").onComplete(ar -> here.runOnContext(v -> {
      if (ctx.response().closed()) {
        return;
      }
      if (ar.failed()) {
        Responses.error(ctx.response(), GatewayError.from(ar.cause()), 1);
        return;
      }
      ctx.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(ar.result().encodePrettily());
    }));
  }
}
