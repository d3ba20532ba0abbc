package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.Limit;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import java.util.Locale;

/**
 * What can be refused from the request head alone, before a byte of the body is read: a gateway
 * that is draining, a body that is not JSON, or one that announces more bytes than allowed.
 */
final class AcceptStage implements Stage {
  private final Services services;

  AcceptStage(Services services) {
    this.services = services;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    if (services.shutdown().draining()) {
      throw GatewayError.of(Kind.SHUTTING_DOWN, "the gateway is shutting down; retry on another instance");
    }
    String type = x.request.getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null && !json(type)) {
      // OpenAI clients always send JSON; a form-encoded body is a forgotten header, said plainly.
      throw GatewayError.of(Kind.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type must be application/json, got '" + type + "' (curl: add -H 'Content-Type: application/json').");
    }
    long declared = ReadStage.declaredLength(x.request);
    if (declared > services.config().server().maxBodyBytes()) {
      services.metrics().limitHit(Limit.BODY_SIZE);
      throw ReadStage.tooLarge(services.config().server().maxBodyBytes());
    }
    return Future.succeededFuture();
  }

  private static boolean json(String type) {
    String t = type.toLowerCase(Locale.ROOT);
    return t.startsWith("application/json") || t.startsWith("application/") && t.contains("+json");
  }
}
