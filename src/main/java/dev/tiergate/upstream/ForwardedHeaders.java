package dev.tiergate.upstream;

import io.vertx.core.MultiMap;
import io.vertx.core.http.RequestOptions;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The client's end-to-end headers passed on upstream, as a reverse proxy does: tracing ids, engine
 * extensions and the simulator's fault headers reach the engine. Dropped: hop-by-hop headers, the
 * body's framing and encoding (the gateway reframes SSE and cannot read a compressed stream), the
 * client's credentials in every spelling SDKs use (they are for the gateway, not the engine), and
 * the gateway's own hints.
 */
final class ForwardedHeaders {
  private static final Set<String> DROP = Set.of(
      "host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
      "proxy-authorization", "proxy-authenticate", "expect", "content-length", "content-type", "accept",
      "accept-encoding", "authorization", "cookie", "x-api-key", "api-key");

  private ForwardedHeaders() {}

  static void copy(MultiMap from, RequestOptions to) {
    if (from == null) {
      return;
    }
    for (Map.Entry<String, String> h : from) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (!DROP.contains(name) && !name.startsWith("x-tiergate-")) {
        to.addHeader(h.getKey(), h.getValue());
      }
    }
  }
}
