package dev.tiergate.errors;

/**
 * The one error vocabulary of the gateway. Every failure a client can see is a {@code GatewayError}
 * with a {@link Kind}; the kind fixes the HTTP status, the OpenAI {@code type}, and whether another
 * backend may be tried.
 */
public final class GatewayError extends RuntimeException {

  /** Who caused the error: the client, the gateway itself, or an upstream engine. */
  public enum Origin { CLIENT, GATEWAY, UPSTREAM }

  public enum Kind {
    INVALID_REQUEST(400, "invalid_request_error", null, false, Origin.CLIENT),
    /** No key, an unknown key, or a malformed {@code Authorization} header: OpenAI's own words for it. */
    UNAUTHORIZED(401, "invalid_request_error", "invalid_api_key", false, Origin.CLIENT),
    /** The key may not use the tier the client asked for. */
    FORBIDDEN_TIER(403, "invalid_request_error", "tier_not_allowed", false, Origin.CLIENT),
    /** The key is valid but its role may not do this (status, swaps, key reload need an admin key). */
    PERMISSION_DENIED(403, "invalid_request_error", "permission_denied", false, Origin.CLIENT),
    CONTEXT_LENGTH_EXCEEDED(400, "invalid_request_error", "context_length_exceeded", false, Origin.CLIENT),
    UNKNOWN_TIER(400, "invalid_request_error", "unknown_tier", false, Origin.CLIENT),
    MODEL_NOT_FOUND(404, "invalid_request_error", "model_not_found", false, Origin.CLIENT),
    NOT_FOUND(404, "invalid_request_error", "not_found", false, Origin.CLIENT),
    /**
     * No backend that may serve the request speaks its endpoint (embeddings on a generative model, an
     * engine older than the API). Retryable: the next candidate may speak it; never the backend's fault.
     */
    UNSUPPORTED_ENDPOINT(404, "invalid_request_error", "endpoint_not_supported", true, Origin.UPSTREAM),
    METHOD_NOT_ALLOWED(405, "invalid_request_error", "method_not_allowed", false, Origin.CLIENT),
    CONFLICT(409, "invalid_request_error", "conflict", false, Origin.CLIENT),
    PAYLOAD_TOO_LARGE(413, "invalid_request_error", "payload_too_large", false, Origin.CLIENT),
    UNSUPPORTED_MEDIA_TYPE(415, "invalid_request_error", "unsupported_media_type", false, Origin.CLIENT),
    REQUEST_TIMEOUT(408, "invalid_request_error", "request_timeout", false, Origin.CLIENT),
    UPSTREAM_CLIENT_ERROR(400, "invalid_request_error", null, false, Origin.UPSTREAM),
    UPSTREAM_ERROR(502, "upstream_error", "upstream_error", true, Origin.UPSTREAM),
    UPSTREAM_UNAVAILABLE(503, "upstream_error", "upstream_unavailable", true, Origin.UPSTREAM),
    UPSTREAM_TIMEOUT(504, "timeout_error", "upstream_timeout", true, Origin.UPSTREAM),
    /**
     * The engine's answer passed one of the gateway's size limits (an SSE event over maxEventBytes, a
     * whole answer over maxResponseBytes): not retried, since another backend would produce the same.
     */
    UPSTREAM_TOO_LARGE(502, "upstream_error", "upstream_response_too_large", false, Origin.UPSTREAM),
    /** The engine refused the gateway's own credentials: a configuration problem, never the client's. */
    UPSTREAM_AUTH(502, "upstream_error", "upstream_auth_failed", true, Origin.UPSTREAM),
    NO_BACKEND_AVAILABLE(503, "service_unavailable_error", "no_backend_available", false, Origin.GATEWAY),
    CLIENT_CLOSED(499, "client_closed", "client_closed", false, Origin.CLIENT),
    SHUTTING_DOWN(503, "service_unavailable_error", "shutting_down", false, Origin.GATEWAY),
    /** Too many requests waiting (a swap queue, a rate limit): come back later. */
    RATE_LIMITED(429, "rate_limit_error", "rate_limit_exceeded", false, Origin.GATEWAY),
    /** The shared rate-limit store cannot be reached and {@code auth.limits.failMode} is {@code closed}. */
    LIMITS_UNAVAILABLE(503, "service_unavailable_error", "rate_limit_store_unavailable", false, Origin.GATEWAY),
    /** A protective limit of the gateway (memory for bodies, connections) is reached. */
    OVERLOADED(503, "service_unavailable_error", "server_overloaded", false, Origin.GATEWAY),
    INTERNAL(500, "internal_error", "internal_error", false, Origin.GATEWAY);

    public final int status;
    public final String type;
    public final String code;
    public final boolean retryable;
    public final Origin origin;

    Kind(int status, String type, String code, boolean retryable, Origin origin) {
      this.status = status;
      this.type = type;
      this.code = code;
      this.retryable = retryable;
      this.origin = origin;
    }
  }

  private final Kind kind;
  private final String param;
  private final int status;
  private final String code;
  private final long retryAfterSeconds;

  private GatewayError(Kind kind, String message, String param, int status, String code, Throwable cause) {
    this(kind, message, param, status, code, cause, 0);
  }

  private GatewayError(Kind kind, String message, String param, int status, String code, Throwable cause, long retryAfter) {
    super(message, cause, false, false);
    this.kind = kind;
    this.param = param;
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfter;
  }

  /** The same error with an estimate of when a retry may succeed (a swap's boot time, a queue's drain). */
  public GatewayError withRetryAfter(long seconds) {
    return new GatewayError(kind, getMessage(), param, status, code, getCause(), seconds);
  }

  /** The same error with another message (secrets taken out of an engine's text). */
  public GatewayError withMessage(String message) {
    return new GatewayError(kind, message, param, status, code, getCause(), retryAfterSeconds);
  }

  /** 0 when the error carries no estimate of its own. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** Whether a client should be told when to come back: overload, unavailability, timeouts. */
  public boolean retryLater() {
    return status == 429 || status == 502 || status == 503 || status == 504;
  }

  public static GatewayError of(Kind kind, String message) {
    return new GatewayError(kind, message, null, kind.status, kind.code, null);
  }

  public static GatewayError of(Kind kind, String message, String param) {
    return new GatewayError(kind, message, param, kind.status, kind.code, null);
  }

  public static GatewayError of(Kind kind, String message, Throwable cause) {
    return new GatewayError(kind, message, null, kind.status, kind.code, cause);
  }

  /** An upstream 4xx relayed with the engine's own status and code, re-wrapped in OpenAI's shape. */
  public static GatewayError upstreamClientError(int status, String message, String code) {
    return new GatewayError(Kind.UPSTREAM_CLIENT_ERROR, message, null, status, code, null);
  }

  public static GatewayError invalid(String message, String param) {
    return of(Kind.INVALID_REQUEST, message, param);
  }

  public Kind kind() {
    return kind;
  }

  public int status() {
    return status;
  }

  public String type() {
    return kind.type;
  }

  public String code() {
    return code;
  }

  public String param() {
    return param;
  }

  public boolean retryable() {
    return kind.retryable;
  }

  /** Any throwable as a gateway error; unknown failures are internal errors, never leaked raw. */
  public static GatewayError from(Throwable t) {
    if (t instanceof GatewayError g) {
      return g;
    }
    return of(Kind.INTERNAL, "internal gateway error", t);
  }
}
