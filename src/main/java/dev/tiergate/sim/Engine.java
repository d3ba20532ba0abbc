package dev.tiergate.sim;

import java.util.Locale;

/** The engine whose wire format the sim imitates; each constant keeps the facts the formats branch on. */
enum Engine {
  VLLM("vllm"),
  SGLANG("sglang"),
  LLAMACPP("llamacpp"),
  IKLLAMA("ikllama");

  final String cliName;

  Engine(String cliName) {
    this.cliName = cliName;
  }

  static Engine parse(String name) {
    if (name != null) {
      String n = name.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(".", "");
      for (Engine e : values()) {
        if (e.cliName.equals(n)) {
          return e;
        }
      }
      if (n.equals("llamaserver") || n.equals("llama")) {
        return LLAMACPP;
      }
      if (n.equals("ikllamacpp") || n.equals("ik")) {
        return IKLLAMA;
      }
    }
    throw new IllegalArgumentException("unknown engine '" + name + "' (expected vllm, sglang, llamacpp or ikllama)");
  }

  /** llama.cpp and its ik fork share the C++ server lineage: same envelopes, timings, role chunk. */
  boolean llamaFamily() {
    return this == LLAMACPP || this == IKLLAMA;
  }

  /** Python (FastAPI) servers: OpenAI-style error envelopes and FastAPI 404/405 bodies. */
  boolean python() {
    return this == VLLM || this == SGLANG;
  }
}
