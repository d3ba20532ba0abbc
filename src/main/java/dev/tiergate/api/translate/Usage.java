package dev.tiergate.api.translate;

import com.fasterxml.jackson.databind.JsonNode;

/** A chat response's token counts, as the engine reported them. */
final class Usage {
  long prompt = -1;
  long completion = -1;
  long cached;
  long reasoning = -1;

  void read(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return;
    }
    prompt = Math.max(prompt, Json.number(usage, "prompt_tokens"));
    completion = Math.max(completion, Json.number(usage, "completion_tokens"));
    cached = Math.max(cached, Json.number(usage.get("prompt_tokens_details"), "cached_tokens"));
    reasoning = Math.max(reasoning, Json.number(usage.get("completion_tokens_details"), "reasoning_tokens"));
  }

  long prompt() {
    return Math.max(0, prompt);
  }

  long completion() {
    return Math.max(0, completion);
  }
}
