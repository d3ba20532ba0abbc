package dev.tiergate.upstream;

import dev.tiergate.config.Api;
import dev.tiergate.config.Engine;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.buffer.Buffer;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * llama.cpp {@code llama-server}: {@code repeat_penalty} is its name for the repetition penalty, and
 * it answers input it cannot parse with HTTP 500 ("Failed to parse messages: [json.exception…]"),
 * which is the client's error, not a broken engine's.
 */
class LlamaCppAdapter extends OpenAiAdapter {
  /**
   * {@code tools/server/server.cpp} routes Responses, Messages and every token counter (captures 16–18,
   * build b10587); embeddings and rerank only with {@code --embeddings} / {@code --reranking} (19a–19b).
   */
  static final Set<Api> LLAMACPP = EnumSet.of(Api.CHAT, Api.COMPLETIONS, Api.RESPONSES, Api.MESSAGES,
      Api.MESSAGES_COUNT_TOKENS, Api.RESPONSES_INPUT_TOKENS, Api.CHAT_INPUT_TOKENS);

  LlamaCppAdapter() {
    super(Engine.LLAMACPP, LLAMACPP);
  }

  LlamaCppAdapter(Engine engine, Set<Api> nativeApis) {
    super(engine, nativeApis);
  }

  @Override
  protected void translate(RequestBody body, BodyEditor edit) {
    if (body.field("repetition_penalty") != null) {
      edit.rename("repetition_penalty", "repeat_penalty");
    }
  }

  @Override
  public ResponseFixer namedFixer(Api api) {
    return api == Api.RESPONSES ? new ResponsesIndexFixer() : ResponseFixer.NONE;
  }

  @Override
  public GatewayError error(int status, Buffer body) {
    GatewayError e = super.error(status, body);
    if (status == 500 && inputError(e.getMessage())) {
      return GatewayError.of(Kind.INVALID_REQUEST, "The engine could not parse the request: " + e.getMessage()
          .replaceFirst("^upstream error: ", ""));
    }
    return e;
  }

  /** The JSON library's type errors and the server's own parse failures, as the captured 500s word them. */
  static boolean inputError(String message) {
    String m = message.toLowerCase(Locale.ROOT);
    return m.contains("failed to parse") || m.contains("[json.exception.") || m.contains("type must be");
  }
}
