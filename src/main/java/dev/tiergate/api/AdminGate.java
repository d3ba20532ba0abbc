package dev.tiergate.api;

import dev.tiergate.auth.Keys;
import dev.tiergate.auth.Principal;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.metrics.KeyRejection;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Endpoints outside the request pipeline. Operator endpoints (status, swaps, key reload, and {@code /metrics} when so configured) need an
 * admin key once the gateway has keys: 401 without a valid key, 403 with a user key.
 */
final class AdminGate {
  private AdminGate() {}

  static Handler<RoutingContext> of(Keys keys, GatewayMetrics metrics, Handler<RoutingContext> next) {
    return gate(keys, metrics, next, true);
  }

  /** Any valid key (the model list): with keys configured, nothing but health and readiness is open. */
  static Handler<RoutingContext> anyKey(Keys keys, GatewayMetrics metrics, Handler<RoutingContext> next) {
    return gate(keys, metrics, next, false);
  }

  private static Handler<RoutingContext> gate(Keys keys, GatewayMetrics metrics, Handler<RoutingContext> next, boolean admin) {
    if (!keys.enabled()) {
      return next;
    }
    return ctx -> {
      Principal p;
      try {
        p = keys.authenticate(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), ctx.request().getHeader(AuthStage.API_KEY),
            ctx.request().query());
      } catch (GatewayError e) {
        metrics.keyRejected(null, KeyRejection.UNAUTHORIZED);
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
        ctx.fail(e);
        return;
      }
      if (admin && !p.admin()) {
        metrics.keyRejected(p.name(), KeyRejection.PERMISSION_DENIED);
        ctx.fail(GatewayError.of(Kind.PERMISSION_DENIED, "The key '" + p.name() + "' is not an admin key; "
            + ctx.request().path() + " needs one (role: admin)."));
        return;
      }
      next.handle(ctx);
    };
  }
}
