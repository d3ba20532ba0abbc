package dev.tiergate.api;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.routing.Candidate;
import dev.tiergate.routing.RouteDecision;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Optional;

/**
 * What a response says about the gateway's decision: the {@code x-tiergate-*} headers, the outcome
 * label a failure counts under, and how long a client should wait before retrying.
 */
final class Decision {
  static final String REQUEST_ID = "x-tiergate-request-id";

  private Decision() {}

  /** Headers for a response served by {@code served}. */
  static void put(Exchange x, Candidate served) {
    RouteDecision d = x.decision;
    String reason = x.reasonOverride != null && served.tier().equals(d.tier()) ? x.reasonOverride : served.reason();
    if (!served.tier().equals(d.tier()) && !reason.startsWith("fallback:")) {
      reason = "fallback:" + d.tier() + "-failed";
    } else if (!served.tier().equals(d.candidates().get(0).tier()) && !reason.startsWith("fallback:")) {
      reason = "fallback:" + d.candidates().get(0).tier() + "-failed";
    }
    HttpServerResponse resp = x.response;
    resp.putHeader("x-tiergate-tier", served.tier())
        .putHeader("x-tiergate-backend", served.backend().name())
        .putHeader("x-tiergate-reason", reason);
    if (Double.isFinite(served.predictedTtftMs())) {
      resp.putHeader("x-tiergate-predicted-ttft-ms", Long.toString(Math.round(served.predictedTtftMs())));
    }
    promptTokens(x);
    failures(x);
  }

  /** Headers for an error: as much of the decision as was made before the request failed. */
  static void put(Exchange x, GatewayError e) {
    if (x.decision != null && !x.decision.candidates().isEmpty()) {
      Candidate shown = lastTried(x).orElse(x.decision.candidates().get(0));
      x.response.putHeader("x-tiergate-tier", shown.tier()).putHeader("x-tiergate-backend", shown.backend().name())
          .putHeader("x-tiergate-reason", x.decision.reason());
      failures(x);
    } else if (x.decision != null) {
      x.response.putHeader("x-tiergate-tier", x.decision.tier()).putHeader("x-tiergate-reason", x.decision.reason());
    }
    promptTokens(x);
  }

  private static void promptTokens(Exchange x) {
    if (x.facts != null) {
      x.response.putHeader("x-tiergate-prompt-tokens", Integer.toString(x.facts.promptTokens()));
    }
  }

  private static void failures(Exchange x) {
    if (x.call != null && !x.call.failures().isEmpty()) {
      x.response.putHeader("x-tiergate-failed", String.join(",", x.call.failures()));
    }
  }

  /** The candidate of the attempt that ran last: the one in flight, else the last that failed. */
  static Optional<Candidate> lastTried(Exchange x) {
    if (x.decision == null || x.call == null || x.call.lastAttempt() < 0) {
      return Optional.empty();
    }
    List<Candidate> c = x.decision.candidates();
    return Optional.of(c.get(Math.min(x.call.lastAttempt(), c.size() - 1)));
  }

  static String outcomeOf(GatewayError e) {
    return switch (e.kind()) {
      case UPSTREAM_TIMEOUT -> "timeout";
      case CLIENT_CLOSED -> "cancelled";
      case NO_BACKEND_AVAILABLE, SHUTTING_DOWN, OVERLOADED, LIMITS_UNAVAILABLE -> "rejected";
      default -> e.kind().origin == GatewayError.Origin.CLIENT || e.status() < 500 ? "client_error" : "upstream_error";
    };
  }

  /** The error's own estimate when it has one, else the time until the probes look again. */
  static long retryAfterSeconds(GatewayError e, GatewayConfig config) {
    if (e.retryAfterSeconds() > 0) {
      return e.retryAfterSeconds();
    }
    return (config.health().intervalMs() + 999) / 1000;
  }
}
