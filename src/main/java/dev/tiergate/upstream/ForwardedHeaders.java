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

  private static final Set<String> KEEP_ALIVE_OR_CLOSE = Set.of("keep-alive", "close");

  private ForwardedHeaders() {}

  static void copy(MultiMap from, RequestOptions to) {
    if (from == null) {
      return;
    }
    Set<String> named = connectionNamed(from.get("connection"));
    for (Map.Entry<String, String> h : from) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (!DROP.contains(name) && !name.startsWith("x-tiergate-") && !named.contains(name)) {
        to.addHeader(h.getKey(), h.getValue());
      }
    }
  }

  /** Headers the client's {@code Connection} names are hop-by-hop too (RFC 9110 §7.6.1). */
  private static Set<String> connectionNamed(String connection) {
    if (connection == null || connection.indexOf(',') < 0 && KEEP_ALIVE_OR_CLOSE.contains(connection.trim().toLowerCase(Locale.ROOT))) {
      return Set.of();
    }
    Set<String> names = new java.util.HashSet<>();
    for (String token : connection.split(",")) {
      names.add(token.trim().toLowerCase(Locale.ROOT));
    }
    return names;
  }
}
