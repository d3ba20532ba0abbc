package dev.tiergate.sim;

import java.util.Locale;

/** The engine whose wire format the sim imitates; each constant keeps the facts the formats branch on. */
enum Engine {
  /** vllm/engine/arg_utils.py get_batch_defaults, API server on a GPU under 70 GiB (the seed's 24 GB cards). */
  VLLM("vllm", 2048, 256),
  /**
   * python/sglang/srt/server_args.py: chunked_prefill_size 2048 under 35 GiB of GPU memory; max_running_requests
   * min(pool / 2, max(2048, pool / context * 512)) = 2048 for a 262144 window and a pool near 295K tokens.
   */
  SGLANG("sglang", 2048, 2048),
  /** common/common.h n_batch 2048; tools/server turns the default -np 1 into 4 slots over a unified KV cache. */
  LLAMACPP("llamacpp", 2048, 4),
  /** common/common.h n_batch 2048, n_parallel 1: the fork keeps llama.cpp's old single slot. */
  IKLLAMA("ikllama", 2048, 1);

  final String cliName;
  /** Tokens one engine step may carry, decodes and prefill chunks together. */
  final int defaultStepTokens;
  /** Sequences that run at once (slots); the rest wait. */
  final int defaultMaxRunning;

  Engine(String cliName, int defaultStepTokens, int defaultMaxRunning) {
    this.cliName = cliName;
    this.defaultStepTokens = defaultStepTokens;
    this.defaultMaxRunning = defaultMaxRunning;
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
