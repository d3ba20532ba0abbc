package dev.tiergate.api;

import dev.tiergate.auth.Keys;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.metrics.KeyRejection;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;

/**
 * Key → principal, from the request head alone. It runs before the body is read, so a client
 * without a valid key never gets a byte of its body buffered: the 401 goes out and the rest of
 * the body is discarded as the connection closes.
 */
final class AuthStage implements Stage {
  static final String API_KEY = "x-api-key";

  private final Services services;
  private final Keys keys;

  AuthStage(Services services) {
    this.services = services;
    this.keys = services.keys();
  }

  @Override
  public Future<Void> apply(Exchange x) {
    if (!keys.enabled()) {
      return Future.succeededFuture();
    }
    try {
      x.principal = keys.authenticate(x.request.getHeader(HttpHeaders.AUTHORIZATION), x.request.getHeader(API_KEY), x.request.query());
    } catch (GatewayError e) {
      services.metrics().keyRejected(null, KeyRejection.UNAUTHORIZED);
      x.response.putHeader("WWW-Authenticate", "Bearer");
      throw e;
    }
    x.recorder.key(x.principal.name());
    return Future.succeededFuture();
  }
}
