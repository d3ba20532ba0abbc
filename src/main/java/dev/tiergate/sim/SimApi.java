package dev.tiergate.sim;

/** The generation API a request came in on; the sim answers each in the engine's own shape. */
enum SimApi {
  CHAT("/v1/chat/completions"),
  COMPLETIONS("/v1/completions"),
  RESPONSES("/v1/responses"),
  MESSAGES("/v1/messages");

  final String path;

  SimApi(String path) {
    this.path = path;
  }

  /** Chat-like: a conversation, reasoning first, tool calls possible. */
  boolean chatLike() {
    return this != COMPLETIONS;
  }

  /** Which engines serve it in their own code (ik_llama.cpp only chat and completions, as in ENGINES.md). */
  boolean servedBy(Engine e) {
    return this == CHAT || this == COMPLETIONS || e != Engine.IKLLAMA;
  }
}
