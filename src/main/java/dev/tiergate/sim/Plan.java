package dev.tiergate.sim;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What one request will emit, token by token: reasoning first, then either answer words or one tool call.
 * Texts are fixed ASCII words, so they need no JSON escaping and the stream writer can splice them in as-is.
 */
final class Plan {
  enum Kind { REASONING, CONTENT, TOOL_START, TOOL_ARGS }

  private static final String[] WORDS = {
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
    "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam",
    "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo",
    "consequat", "duis", "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse", "cillum",
    "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non", "proident", "sunt",
    "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id", "est", "laborum"
  };
  private static final String[] SPACED = new String[WORDS.length];
  /** The raw argument pieces; they concatenate to {"city":"Paris"}. */
  static final String[] TOOL_ARGS_RAW = {"{\"", "city", "\":\"", "Par", "is", "\"}"};
  private static final String[] TOOL_ARGS_ESCAPED = new String[TOOL_ARGS_RAW.length];

  static {
    for (int i = 0; i < WORDS.length; i++) {
      SPACED[i] = " " + WORDS[i];
    }
    for (int i = 0; i < TOOL_ARGS_RAW.length; i++) {
      TOOL_ARGS_ESCAPED[i] = TOOL_ARGS_RAW[i].replace("\"", "\\\"");
    }
  }

  final int reasoning;
  final int content;
  final boolean tool;
  final String toolName;
  final String toolCallId;
  /** True when the answer ended before max_tokens (the sim's stand-in for an EOS token). */
  final boolean naturalStop;
  /** Moves every word along: an engine that woke up corrupted answers the same prompt differently. */
  int shift;

  private Plan(int reasoning, int content, boolean tool, String toolName, boolean naturalStop) {
    this.reasoning = reasoning;
    this.content = content;
    this.tool = tool;
    this.toolName = toolName;
    this.toolCallId = tool ? "call_" + randomId(24) : null;
    this.naturalStop = naturalStop;
  }

  /**
   * @param maxTokens output budget after engine precedence and context capping
   * @param naturalTokens answer length the client asked the sim for, or -1 to always run to maxTokens
   */
  static Plan text(int maxTokens, int reasoningTokens, int naturalTokens) {
    int total = naturalTokens >= 0 ? Math.min(maxTokens, Math.max(1, naturalTokens)) : maxTokens;
    int r = Math.min(reasoningTokens, total);
    return new Plan(r, total - r, false, null, total < maxTokens);
  }

  /** A tool call is emitted whole even when max_tokens is smaller: a cut call would be useless to tests. */
  static Plan toolCall(int reasoningTokens, int maxTokens, String toolName) {
    int r = Math.min(reasoningTokens, Math.max(0, maxTokens - 1 - TOOL_ARGS_RAW.length));
    return new Plan(r, 0, true, toolName == null ? "get_weather" : toolName, true);
  }

  int total() {
    return reasoning + (tool ? 1 + TOOL_ARGS_RAW.length : content);
  }

  Kind kindAt(int i) {
    if (i < reasoning) {
      return Kind.REASONING;
    }
    if (!tool) {
      return Kind.CONTENT;
    }
    return i == reasoning ? Kind.TOOL_START : Kind.TOOL_ARGS;
  }

  /** The token text, safe to place inside a JSON string literal. */
  String escapedAt(int i) {
    Kind k = kindAt(i);
    if (k == Kind.TOOL_ARGS) {
      return TOOL_ARGS_ESCAPED[i - reasoning - 1];
    }
    if (k == Kind.TOOL_START) {
      return "";
    }
    int j = k == Kind.REASONING ? i : i - reasoning;
    return j == 0 ? WORDS[shift % WORDS.length] : SPACED[((j + shift) * 7 + (k == Kind.REASONING ? 3 : 0)) % WORDS.length];
  }

  /** The unescaped text, for bodies built with a JSON library. */
  String rawAt(int i) {
    return kindAt(i) == Kind.TOOL_ARGS ? TOOL_ARGS_RAW[i - reasoning - 1] : escapedAt(i);
  }

  /** The finish reason the engine reports; ik_llama says "stop" even when the budget ran out. */
  String finishReason(Engine engine) {
    if (tool) {
      return "tool_calls";
    }
    if (naturalStop || engine == Engine.IKLLAMA) {
      return "stop";
    }
    return "length";
  }

  static String randomId(int len) {
    final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    char[] c = new char[len];
    for (int i = 0; i < len; i++) {
      c[i] = alphabet.charAt(rnd.nextInt(alphabet.length()));
    }
    return new String(c);
  }
}
