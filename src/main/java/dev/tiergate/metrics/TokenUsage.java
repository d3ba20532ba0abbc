package dev.tiergate.metrics;

/**
 * Token counts and engine timings of one response as the engine reported them; -1 / NaN mean
 * "not reported". Filled from the {@code usage} object of chat, Responses or Messages and
 * llama.cpp's {@code timings}.
 */
final class TokenUsage {
  long promptTokens = -1;
  long completionTokens = -1;
  long cachedTokens = -1;
  /** Responses' and Anthropic's {@code input_tokens}. */
  long inputTokens = -1;
  /** Anthropic's prompt tokens read from, or written to, the prefix cache; not part of its {@code input_tokens}. */
  long cacheReadTokens = -1;
  long cacheCreationTokens = -1;
  long cacheN = -1;
  long promptN = -1;
  long predictedN = -1;
  double promptPerSecond = Double.NaN;
  double predictedPerSecond = Double.NaN;

  boolean hasUsage() {
    return completionTokens >= 0;
  }

  boolean hasTimings() {
    return predictedN >= 0 || promptN >= 0;
  }

  /** Completion tokens from usage, else from timings; -1 when the engine said neither. */
  long completion() {
    return completionTokens >= 0 ? completionTokens : predictedN;
  }

  /** The whole prompt: usage's count, else llama.cpp's processed plus reused tokens. */
  long prompt() {
    if (promptTokens >= 0) {
      return promptTokens;
    }
    if (inputTokens >= 0) {
      return inputTokens + Math.max(0, cacheReadTokens) + Math.max(0, cacheCreationTokens);
    }
    return promptN >= 0 ? promptN + Math.max(0, cacheN) : -1;
  }

  /** Prompt tokens the engine reused from its cache instead of computing; 0 when nobody said. */
  long cached() {
    return Math.max(0, Math.max(Math.max(cachedTokens, cacheN), cacheReadTokens));
  }
}
