package dev.tiergate.sim;

import io.vertx.core.json.JsonObject;

/**
 * Each engine's error envelope; the gateway's adapters must normalize all of them. llama.cpp's come from real
 * captures (engine-transcripts 08a–09d, checked by {@code SimMatchesLlamaCppCapturesTest}); the others from
 * source: vLLM's {@code ErrorResponse} (message, type, param, code) in {@code vllm/entrypoints/openai/protocol.py}
 * and its context message from {@code OpenAIServing._validate_input} in {@code serving_engine.py} (0.6–0.10 line;
 * the wording is not re-checked against a newer release); SGLang's flat {@code ErrorResponse} with
 * {@code object: "error"} in {@code python/sglang/srt/entrypoints/openai/protocol.py}, its in-stream error
 * wrapped in {@code error} by {@code serving_base.py}'s streaming error response, and its context message from
 * {@code tokenizer_manager.py} (SGLang 0.5).
 */
final class Errors {
  private Errors() {
  }

  /** The body of a non-stream error response. */
  static String envelope(Engine e, int code, String message, String type) {
    return switch (e) {
      case VLLM -> new JsonObject().put("error", openAi(code, message, type)).encode();
      case SGLANG -> sglangFlat(code, message, type).encode();
      case LLAMACPP, IKLLAMA -> new JsonObject().put("error", llama(code, message, type)).encode();
    };
  }

  /** The JSON of a {@code data:} line that reports an error inside an already started stream. */
  static String streamEvent(Engine e, int code, String message, String type) {
    return switch (e) {
      case VLLM -> new JsonObject().put("error", openAi(code, message, type)).encode();
      case SGLANG -> new JsonObject().put("error", sglangFlat(code, message, type)).encode();
      case LLAMACPP, IKLLAMA -> new JsonObject().put("error", llama(code, message, type)).encode();
    };
  }

  /** The engine's own type name for a status, so a sim error looks like one the engine raises. */
  static String typeFor(Engine e, int code) {
    if (e.llamaFamily()) {
      return switch (code) {
        case 400 -> "invalid_request_error";
        case 404 -> "not_found_error";
        case 503 -> "unavailable_error";
        default -> "server_error";
      };
    }
    return switch (code) {
      case 400 -> "BadRequestError";
      case 404 -> "NotFoundError";
      case 503 -> "ServiceUnavailableError";
      default -> "InternalServerError";
    };
  }

  static String contextTooLong(Engine e, int window, int promptTokens, int maxTokens) {
    return switch (e) {
      case VLLM -> envelope(e, 400, vllmTooLong(window, promptTokens, maxTokens), "BadRequestError");
      case SGLANG -> envelope(e, 400, sglangTooLong(window, promptTokens, maxTokens), "BadRequestError");
      case LLAMACPP, IKLLAMA -> new JsonObject().put("error", llama(400,
              "request (" + promptTokens + " tokens) exceeds the available context size (" + window
                  + " tokens), try increasing it", "exceed_context_size_error")
          .put("n_prompt_tokens", promptTokens).put("n_ctx", window)).encode();
    };
  }

  static String sglangTooLongStreamEvent(int window, int promptTokens, int maxTokens) {
    return streamEvent(Engine.SGLANG, 400, sglangTooLong(window, promptTokens, maxTokens), "BadRequestError");
  }

  static String vllmTooLong(int window, int promptTokens, int maxTokens) {
    return "This model's maximum context length is " + window + " tokens. However, you requested "
        + ((long) promptTokens + maxTokens) + " tokens (" + promptTokens + " in the messages, " + maxTokens
        + " in the completion). Please reduce the length of the messages or completion.";
  }

  private static String sglangTooLong(int window, int promptTokens, int maxTokens) {
    return "Requested token count exceeds the model's maximum context length of " + window
        + " tokens. You requested a total of " + ((long) promptTokens + maxTokens) + " tokens: " + promptTokens
        + " tokens from the input messages and " + maxTokens
        + " tokens for the completion. Please reduce the number of tokens in the input messages or the completion"
        + " to fit within the limit.";
  }

  private static JsonObject openAi(int code, String message, String type) {
    return new JsonObject().put("message", message).put("type", type).putNull("param").put("code", code);
  }

  private static JsonObject sglangFlat(int code, String message, String type) {
    return new JsonObject().put("object", "error").put("message", message).put("type", type).putNull("param")
        .put("code", code);
  }

  private static JsonObject llama(int code, String message, String type) {
    return new JsonObject().put("code", code).put("message", message).put("type", type);
  }
}
