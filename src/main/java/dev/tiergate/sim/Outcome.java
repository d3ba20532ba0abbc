package dev.tiergate.sim;

import io.vertx.core.json.JsonObject;

/** What a finished generation reports: OpenAI usage for all engines, timings for the llama.cpp family. */
record Outcome(Engine engine, int promptTokens, int completionTokens, String finishReason, double promptMs,
    double predictedMs, int contextWindow) {

  static final String FINGERPRINT = "b10587-3f545bec";

  /**
   * The whole request's count over its {@code n} choices, as vLLM and SGLang report it: the prompt once, the
   * completion tokens summed (vLLM {@code serving_chat.py} 0.10.x: {@code sum(previous_num_tokens)} streamed,
   * {@code sum(len(output.token_ids))} whole; SGLang {@code usage_processor.py}). Finish reason and prompt time
   * are the first choice's, the decode time the longest.
   */
  static Outcome summed(Outcome[] choices) {
    Outcome first = choices[0];
    if (choices.length == 1) {
      return first;
    }
    int completion = 0;
    double predictedMs = 0;
    for (Outcome o : choices) {
      completion += o.completionTokens;
      predictedMs = Math.max(predictedMs, o.predictedMs);
    }
    return new Outcome(first.engine, first.promptTokens, completion, first.finishReason, first.promptMs, predictedMs,
        first.contextWindow);
  }

  JsonObject usage() {
    JsonObject details = new JsonObject().put("cached_tokens", 0);
    int total = promptTokens + completionTokens;
    if (engine.llamaFamily()) {
      return new JsonObject().put("completion_tokens", completionTokens).put("prompt_tokens", promptTokens)
          .put("total_tokens", total).put("prompt_tokens_details", details);
    }
    return new JsonObject().put("prompt_tokens", promptTokens).put("total_tokens", total)
        .put("completion_tokens", completionTokens).put("prompt_tokens_details", details);
  }

  /** llama.cpp's shape, or ik_llama's (no cache_n, plus n_ctx and n_past); null for the Python engines. */
  JsonObject timings() {
    if (!engine.llamaFamily()) {
      return null;
    }
    JsonObject t = new JsonObject();
    if (engine == Engine.LLAMACPP) {
      t.put("cache_n", 0);
    }
    t.put("prompt_n", promptTokens).put("prompt_ms", round(promptMs))
        .put("prompt_per_token_ms", round(promptMs / Math.max(1, promptTokens)))
        .put("prompt_per_second", round(perSecond(promptTokens, promptMs)))
        .put("predicted_n", completionTokens).put("predicted_ms", round(predictedMs))
        .put("predicted_per_token_ms", round(predictedMs / Math.max(1, completionTokens)))
        .put("predicted_per_second", round(perSecond(completionTokens, predictedMs)));
    if (engine == Engine.IKLLAMA) {
      t.put("n_ctx", contextWindow).put("n_past", promptTokens + completionTokens);
    }
    return t;
  }

  private static double perSecond(int n, double ms) {
    return ms <= 0 ? 0.0 : n * 1000.0 / ms;
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
