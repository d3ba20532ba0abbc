package dev.tiergate.api;

import dev.tiergate.errors.ErrorJson;
import dev.tiergate.errors.GatewayError;

/**
 * One error vocabulary ({@link GatewayError}), rendered in the envelope of the client's API with the
 * same status: OpenAI's {@code {"error":{message,type,param,code}}} for chat, completions,
 * Responses, embeddings and the counters; Anthropic's {@code {"type":"error","error":{type,message}}}
 * under {@code /v1/messages}. After a stream started, the failure is that API's error event.
 */
enum ErrorShape {
  /** Chat and completions streams: a {@code data:} line with the OpenAI envelope. */
  OPENAI {
    @Override
    String event(GatewayError e) {
      return ErrorJson.sseEvent(e);
    }
  },
  /**
   * Responses streams: the named {@code error} event ({@code {"type":"error",code,message,param}}),
   * which the OpenAI SDKs raise as an API error (openai-node {@code src/core/streaming.ts}).
   */
  RESPONSES {
    @Override
    String event(GatewayError e) {
      StringBuilder sb = new StringBuilder(96 + e.getMessage().length());
      sb.append("event: error\ndata: {\"type\":\"error\",\"code\":");
      ErrorJson.quote(sb, e.code() != null ? e.code() : e.type());
      sb.append(",\"message\":");
      ErrorJson.quote(sb, e.getMessage());
      sb.append(",\"param\":");
      ErrorJson.quote(sb, e.param());
      return sb.append("}\n\n").toString();
    }
  },
  /** Anthropic: the same envelope as a body and as the {@code error} event (anthropic-sdk-typescript raises it). */
  ANTHROPIC {
    @Override
    String body(GatewayError e) {
      StringBuilder sb = new StringBuilder(64 + e.getMessage().length());
      sb.append("{\"type\":\"error\",\"error\":{\"type\":");
      ErrorJson.quote(sb, anthropicType(e.status()));
      sb.append(",\"message\":");
      ErrorJson.quote(sb, e.getMessage());
      return sb.append("}}").toString();
    }

    @Override
    String event(GatewayError e) {
      return "event: error\ndata: " + body(e) + "\n\n";
    }
  };

  /** The body of an error response. */
  String body(GatewayError e) {
    return ErrorJson.body(e);
  }

  /** The error as one complete SSE event, for failures after the response was committed. */
  abstract String event(GatewayError e);

  /** Anthropic's error types by status (docs.anthropic.com "Errors"); the status itself is the gateway's. */
  static String anthropicType(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      case 504 -> "timeout_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }
}
