package dev.tiergate.api;

import dev.tiergate.errors.ErrorJson;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** Writes gateway errors in OpenAI's envelope. */
final class Responses {
  static final String JSON = "application/json";

  private Responses() {}

  static void error(HttpServerResponse resp, GatewayError e, long retryAfterSeconds) {
    if (resp.headWritten() || resp.closed() || resp.ended()) {
      return;
    }
    resp.setStatusCode(e.status());
    if (e.status() == 499) {
      resp.setStatusMessage("Client Closed Request");
    }
    resp.putHeader(HttpHeaders.CONTENT_TYPE, JSON);
    if (e.kind() == Kind.NO_BACKEND_AVAILABLE || e.kind() == Kind.UPSTREAM_UNAVAILABLE || e.kind() == Kind.SHUTTING_DOWN) {
      resp.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfterSeconds)));
    }
    resp.end(ErrorJson.body(e));
  }
}
