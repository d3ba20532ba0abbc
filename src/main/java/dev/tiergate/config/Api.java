package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The HTTP APIs the gateway serves, one per path. Its id is the {@code endpoint} metric label, the
 * value of a rule's {@code when.endpoint}, and what a backend's {@code serves} / {@code translate}
 * lists name. Kept here, below every other package, because routing (which backend can serve it),
 * upstream (which engine speaks it natively) and the API layer all need the same names.
 */
public enum Api {
  CHAT("chat", "/v1/chat/completions", true),
  COMPLETIONS("completions", "/v1/completions", true),
  RESPONSES("responses", "/v1/responses", true),
  MESSAGES("messages", "/v1/messages", true),
  MESSAGES_COUNT_TOKENS("messages_count_tokens", "/v1/messages/count_tokens", false),
  RESPONSES_INPUT_TOKENS("responses_input_tokens", "/v1/responses/input_tokens", false),
  CHAT_INPUT_TOKENS("chat_input_tokens", "/v1/chat/completions/input_tokens", false),
  EMBEDDINGS("embeddings", "/v1/embeddings", false),
  RERANK("rerank", "/v1/rerank", false);

  /** values() copies its array on every call, and byId runs several times per routing decision. */
  private static final Api[] ALL = values();

  private final String id;
  private final String path;
  private final boolean generates;

  Api(String id, String path, boolean generates) {
    this.id = id;
    this.path = path;
    this.generates = generates;
  }

  @JsonValue
  public String id() {
    return id;
  }

  public String path() {
    return path;
  }

  /** Whether the endpoint generates tokens (and so has TTFT, decode rates and completion tokens). */
  public boolean generates() {
    return generates;
  }

  /** Responses and Messages can be served by any chat engine: the gateway translates them to chat. */
  public boolean translatable() {
    return this == RESPONSES || this == MESSAGES;
  }

  @JsonCreator
  public static Api parse(String s) {
    String k = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('-', '_').replace('/', '_');
    for (Api a : values()) {
      if (a.id.equals(k)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown endpoint '" + s + "' (allowed: " + allowed() + ")");
  }

  /** The API with this id, or null. */
  public static Api byId(String id) {
    for (Api a : ALL) {
      if (a.id.equals(id)) {
        return a;
      }
    }
    return null;
  }

  public static String allowed() {
    return Arrays.stream(values()).map(Api::id).collect(Collectors.joining(", "));
  }
}
