package dev.tiergate.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.stream.JsonBytes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The shared OpenAI path every engine adapter builds on: rename the model, ask for usage in
 * streams, and read any of the engines' error envelopes. Subclasses add only their deltas.
 */
public class OpenAiAdapter implements EngineAdapter {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** vLLM's and SGLang's words for a model without that API ("The model does not support Embeddings API"). */
  private static final Pattern NO_SUCH_API = Pattern.compile("(?i).*\\bdoes not support [a-z ]+ api\\b.*");
  private final Engine engine;
  private final Set<Api> nativeApis;

  protected OpenAiAdapter(Engine engine, Set<Api> nativeApis) {
    this.engine = engine;
    this.nativeApis = Set.copyOf(nativeApis);
  }

  @Override
  public Set<Api> nativeApis() {
    return nativeApis;
  }

  @Override
  public Engine engine() {
    return engine;
  }

  @Override
  public Buffer requestBody(RequestBody body, BackendConfig backend, boolean stream, Api api) {
    BodyEditor edit = body.edit();
    if (backend.model() != null) {
      String served = JsonBytes.quote(backend.model());
      if (!served.equals(body.rawValue("model"))) {
        edit.set("model", served);
      }
    }
    // Only chat and completions know stream_options; Responses and Messages streams always end with usage.
    if (stream && (api == Api.CHAT || api == Api.COMPLETIONS)) {
      requestUsage(body, edit);
    }
    if (api.generates()) {
      translate(body, edit);
    }
    return edit.build();
  }

  /** Engine-specific field translations; the default sends everything untouched. */
  protected void translate(RequestBody body, BodyEditor edit) {}

  private static void requestUsage(RequestBody body, BodyEditor edit) {
    String raw = body.rawValue("stream_options");
    if (raw == null || raw.equals("null")) {
      edit.set("stream_options", "{\"include_usage\":true}");
      return;
    }
    JsonObject options = new JsonObject(raw);
    if (!Boolean.TRUE.equals(options.getValue("include_usage"))) {
      edit.set("stream_options", options.put("include_usage", true).encode());
    }
  }

  @Override
  public GatewayError error(int status, Buffer body) {
    String message = null;
    String code = null;
    String type = null;
    try {
      JsonNode root = JSON.readTree(body.getBytes());
      // Responses' response.failed event holds its error inside the response it ends.
      JsonNode failed = root.path("response").path("error");
      JsonNode err = root.has("error") ? root.get("error") : failed.isObject() ? failed : root;
      if (err.isTextual()) {
        message = err.asText();
      } else if (err.path("detail").isTextual()) {
        message = err.get("detail").asText(); // FastAPI's own 404/405 bodies
      } else {
        message = text(err, "message");
        code = text(err, "code");
        type = text(err, "type");
      }
    } catch (Exception notJson) {
      message = body.length() > 0 ? body.toString().strip() : null;
    }
    if (message == null || message.isEmpty()) {
      message = "upstream answered HTTP " + status;
    }
    if (message.length() > 2000) {
      message = message.substring(0, 2000) + "…";
    }
    if (unsupported(status, message, type)) {
      return GatewayError.of(Kind.UNSUPPORTED_ENDPOINT, "the engine does not serve this endpoint: " + message);
    }
    if (isContextLength(message, type, code)) {
      return GatewayError.of(Kind.CONTEXT_LENGTH_EXCEEDED, message, "messages");
    }
    if (status == 503 || status == 429) {
      return GatewayError.of(Kind.UPSTREAM_UNAVAILABLE, "upstream unavailable: " + message);
    }
    if (status >= 500 || status == 0) {
      return GatewayError.of(Kind.UPSTREAM_ERROR, "upstream error: " + message);
    }
    return GatewayError.upstreamClientError(status, message, code);
  }

  /**
   * The engine does not serve the endpoint at all: llama.cpp's 501 {@code not_supported_error} without
   * {@code --embeddings} (captures 19a/19b), vLLM's "does not support Embeddings API"
   * ({@code vllm/entrypoints/openai/api_server.py} create_embedding; 400, 501 in newer builds), or a
   * route an older build does not have (FastAPI's and llama.cpp's bare 404).
   */
  static boolean unsupported(int status, String message, String type) {
    return status == 501 || "not_supported_error".equals(type)
        || (status == 400 || status == 404) && NO_SUCH_API.matcher(message).matches()
        // llama.cpp --embeddings on a generative model (capture 19c): the model has no pooling to offer
        || status == 400 && message.contains("is not OAI compatible");
  }

  /**
   * FastAPI's and llama.cpp's bare 404 for a route the build does not have. Only the caller knows
   * whether that means "an engine older than the API" (a new endpoint) or a misconfigured URL (chat).
   */
  public static boolean routeMissing(int status, String message) {
    return status == 404 && (message.equals("Not Found") || message.equals("File Not Found"));
  }

  static boolean isContextLength(String message, String type, String code) {
    String m = message.toLowerCase(Locale.ROOT);
    return "exceed_context_size_error".equals(type)
        || "context_length_exceeded".equals(code)
        || m.contains("maximum context length")
        || m.contains("context length")
        || m.contains("exceeds the available context size")
        || m.contains("context size");
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  @Override
  public ResponseFixer fixer(int maxTokens) {
    return ResponseFixer.NONE;
  }
}
