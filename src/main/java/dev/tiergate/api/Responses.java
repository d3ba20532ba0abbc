package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** Writes gateway errors in the envelope of the client's API. */
final class Responses {
  static final String JSON = "application/json";

  private Responses() {}

  static void error(HttpServerResponse resp, GatewayError e, long retryAfterSeconds) {
    error(resp, e, retryAfterSeconds, ErrorShape.OPENAI);
  }

  static void error(HttpServerResponse resp, GatewayError e, long retryAfterSeconds, ErrorShape shape) {
    if (resp.headWritten() || resp.closed() || resp.ended()) {
      return;
    }
    resp.setStatusCode(e.status());
    if (e.status() == 499) {
      resp.setStatusMessage("Client Closed Request");
    }
    resp.putHeader(HttpHeaders.CONTENT_TYPE, JSON);
    if (e.retryLater()) {
      resp.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfterSeconds)));
    }
    resp.end(shape.body(e));
  }
}
