package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;

/** The gateway's own credentials for an engine; the client's are never passed on. */
final class Credentials {
  private Credentials() {}

  static void apply(BackendConfig backend, RequestOptions options) {
    if (backend.apiKey() != null) {
      options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + backend.apiKey());
    }
  }
}
