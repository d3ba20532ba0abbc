package dev.tiergate.api;

import dev.tiergate.config.CorsConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Set;

/**
 * Cross-origin access for browser clients, as the Fetch standard defines it and nginx's and Envoy's
 * CORS filters answer it. Headers go on the response as its request arrives, before routing, so
 * every answer carries them: a stream, a 401 before the body is read, a 413, a 5xx. Without
 * credentials mode: keys travel in headers, and a cookie must never be enough to call the gateway.
 */
public final class Cors {
  private static final CharSequence STAR = HttpHeaders.createOptimized("*");
  private static final CharSequence ORIGIN = HttpHeaders.createOptimized("Origin");
  private static final CharSequence METHODS = HttpHeaders.createOptimized("GET, POST, OPTIONS");
  /**
   * What a page must be able to read: the decision (Decision, AdmitStage, SwapWaitStage), the key's
   * budget (RateLimitHeaders) and when to retry. A browser hides every other non-safelisted header.
   */
  private static final String EXPOSED = String.join(", ", Decision.REQUEST_ID, "x-tiergate-tier", "x-tiergate-backend",
      "x-tiergate-reason", "x-tiergate-predicted-ttft-ms", "x-tiergate-prompt-tokens", "x-tiergate-failed",
      AdmitStage.QUEUED, SwapWaitStage.WAITED, "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
      "x-ratelimit-reset-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
      "retry-after");
  private static final CharSequence EXPOSE = HttpHeaders.createOptimized(EXPOSED);

  private final boolean anyOrigin;
  private final Set<String> origins;
  private final CharSequence maxAge;

  private Cors(CorsConfig c) {
    anyOrigin = c.anyOrigin();
    origins = Set.copyOf(c.allowOrigins());
    maxAge = HttpHeaders.createOptimized(Integer.toString(c.maxAgeSeconds()));
  }

  /** Null when no origin is allowed, so the request path pays one null check. */
  public static Cors of(CorsConfig c) {
    return c.enabled() ? new Cors(c) : null;
  }

  /** Marks the response of any request, preflight or not, for its origin (before anything is written). */
  void mark(HttpServerRequest req) {
    mark(req.headers(), req.response().headers());
  }

  /** The same on the two header maps, for {@code CorsBench}: the whole per-request cost while CORS is on. */
  public void mark(MultiMap request, MultiMap response) {
    String origin = request.get(HttpHeaders.ORIGIN);
    if (anyOrigin) {
      if (origin != null) {
        response.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, STAR).set(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE);
      }
      return;
    }
    // Even a refused or origin-less answer varies by Origin: a cache must not hand it to an allowed page.
    response.set(HttpHeaders.VARY, ORIGIN);
    if (origin != null && origins.contains(origin)) {
      response.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin).set(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE);
    }
  }

  /**
   * Answers a preflight from an allowed origin and returns true; false leaves the request to the
   * plain OPTIONS answer, whose missing allow-origin is the browser's refusal.
   */
  boolean preflight(HttpServerRequest req) {
    String origin = req.getHeader(HttpHeaders.ORIGIN);
    if (origin == null || req.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) == null
        || !anyOrigin && !origins.contains(origin)) {
      return false;
    }
    HttpServerResponse resp = req.response().setStatusCode(204)
        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, METHODS)
        .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, maxAge);
    // Echoed rather than "*": a wildcard there never covers Authorization, which every client sends.
    String headers = req.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
    if (headers != null) {
      resp.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, headers);
    }
    resp.end();
    return true;
  }
}
