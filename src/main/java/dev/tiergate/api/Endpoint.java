package dev.tiergate.api;

import dev.tiergate.config.Api;

/**
 * The endpoints the gateway serves through the request pipeline, each with the shape of its API:
 * which schema its body is checked against ({@link FactsParser}), how its errors look
 * ({@link ErrorShape}), and, for Responses and Messages, how a chat stream is turned into its events.
 */
public enum Endpoint {
  CHAT(Api.CHAT, ErrorShape.OPENAI),
  COMPLETIONS(Api.COMPLETIONS, ErrorShape.OPENAI),
  RESPONSES(Api.RESPONSES, ErrorShape.RESPONSES),
  MESSAGES(Api.MESSAGES, ErrorShape.ANTHROPIC),
  MESSAGES_COUNT_TOKENS(Api.MESSAGES_COUNT_TOKENS, ErrorShape.ANTHROPIC),
  RESPONSES_INPUT_TOKENS(Api.RESPONSES_INPUT_TOKENS, ErrorShape.OPENAI),
  CHAT_INPUT_TOKENS(Api.CHAT_INPUT_TOKENS, ErrorShape.OPENAI),
  EMBEDDINGS(Api.EMBEDDINGS, ErrorShape.OPENAI),
  RERANK(Api.RERANK, ErrorShape.OPENAI);

  /** The metric label and rule value ({@code chat}, {@code messages}, …). */
  public final String id;
  public final String path;
  public final Api api;
  final ErrorShape errors;

  Endpoint(Api api, ErrorShape errors) {
    this.id = api.id();
    this.path = api.path();
    this.api = api;
    this.errors = errors;
  }

  /** The error shape for a path no pipeline answered (404, 405): Anthropic's under /v1/messages, else OpenAI's. */
  static ErrorShape shapeForPath(String path) {
    return path != null && (path.equals("/v1/messages") || path.startsWith("/v1/messages/")) ? ErrorShape.ANTHROPIC
        : ErrorShape.OPENAI;
  }
}
