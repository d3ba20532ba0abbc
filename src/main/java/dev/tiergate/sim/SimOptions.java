package dev.tiergate.sim;

/**
 * Everything that shapes one simulated engine. Immutable so a running server can hand out its options safely;
 * the withX methods exist because tests usually tweak one or two knobs of {@link #defaults(String)}.
 * {@link #withEngine} changes the wire format only: step budget and slots stay what they were, so a caller that
 * wants another engine's limits starts from {@code defaults(thatEngine)}.
 *
 * @param stepTokens tokens one engine step carries, decodes and prefill chunks together (vLLM
 *     max_num_batched_tokens, SGLang chunked_prefill_size, llama.cpp -b); 0 = no shared step: every request
 *     prefills and decodes as if it had the engine to itself
 * @param maxRunning sequences running at once (vLLM max_num_seqs, SGLang max_running_requests, llama.cpp -np);
 *     later requests wait in arrival order
 * @param sleep how long the engine's own sleep and wake take, and whether a wake corrupts its output
 * @param roleDelayMs when above 0, a chat stream sends its role chunk as soon as it opens and its first token no
 *     sooner than this many milliseconds later
 * @param pooling the engine serves /v1/embeddings and /v1/rerank (vLLM with a pooling model, llama.cpp started with
 *     {@code --embeddings --reranking}); without it those routes answer the engine's "not supported" error
 * @param loops event loops that serve HTTP and write the streams, 0 = one per core ({@link #httpLoops()}); the
 *     engine's own step loop always runs on one further context of its own, whatever this is
 */
public record SimOptions(
    String engine,
    String host,
    int port,
    String model,
    int contextWindow,
    double prefillTps,
    int prefillHalfRateTokens,
    double ttftBaseMs,
    double decodeTps,
    boolean denseBatching,
    int reasoningTokens,
    double loadingSeconds,
    String fault,
    boolean stampEvents,
    double charsPerToken,
    int defaultMaxTokens,
    int stepTokens,
    int maxRunning,
    double roleDelayMs,
    SleepModel sleep,
    boolean pooling,
    int loops) {

  public SimOptions {
    sleep = sleep == null ? SleepModel.NONE : sleep;
    Engine.parse(engine); // fail at construction, not at the first request
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("model must not be empty");
    }
    if (contextWindow <= 0) {
      throw new IllegalArgumentException("contextWindow must be > 0: " + contextWindow);
    }
    if (!(prefillTps > 0) || !(decodeTps > 0)) {
      throw new IllegalArgumentException("prefillTps and decodeTps must be > 0");
    }
    if (prefillHalfRateTokens < 0 || reasoningTokens < 0 || ttftBaseMs < 0 || loadingSeconds < 0) {
      throw new IllegalArgumentException("prefillHalfRateTokens, reasoningTokens, ttftBaseMs, loadingSeconds must be >= 0");
    }
    if (!(charsPerToken > 0)) {
      throw new IllegalArgumentException("charsPerToken must be > 0: " + charsPerToken);
    }
    if (defaultMaxTokens <= 0) {
      throw new IllegalArgumentException("defaultMaxTokens must be > 0: " + defaultMaxTokens);
    }
    if (stepTokens < 0) {
      throw new IllegalArgumentException("stepTokens must be >= 0: " + stepTokens);
    }
    if (maxRunning <= 0) {
      throw new IllegalArgumentException("maxRunning must be > 0: " + maxRunning);
    }
    if (!(roleDelayMs >= 0) || Double.isInfinite(roleDelayMs)) {
      throw new IllegalArgumentException("roleDelayMs must be >= 0: " + roleDelayMs);
    }
    if (loops < 0) {
      throw new IllegalArgumentException("loops must be >= 0 (0 = one per core): " + loops);
    }
    if (fault != null && fault.isBlank()) {
      fault = null;
    }
    if (fault != null) {
      Fault.parse(fault);
    }
  }

  /** Numbers from the seed rig (Qwen3.6-27B class, W8A8 on two 24 GB cards); step budget and slots per engine. */
  public static SimOptions defaults(String engine) {
    Engine e = Engine.parse(engine);
    return new SimOptions(engine, "127.0.0.1", 0, "qwen3.6-27b", 262144, 2000, 80000, 120, 70, true, 0, 0, null,
        false, 4.0, 256, e.defaultStepTokens, e.defaultMaxRunning, 0, SleepModel.NONE, false, 0);
  }

  Engine engineKind() {
    return Engine.parse(engine);
  }

  /** The HTTP event loops a server runs: {@link #loops()}, or one per available core when that is 0. */
  public int httpLoops() {
    return loops > 0 ? loops : Runtime.getRuntime().availableProcessors();
  }

  public SimOptions withEngine(String v) {
    return new SimOptions(v, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withHost(String v) {
    return new SimOptions(engine, v, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withPort(int v) {
    return new SimOptions(engine, host, v, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withModel(String v) {
    return new SimOptions(engine, host, port, v, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withContextWindow(int v) {
    return new SimOptions(engine, host, port, model, v, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withPrefillTps(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, v, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withPrefillHalfRateTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, v, ttftBaseMs, decodeTps,
        denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens,
        stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withTtftBaseMs(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, v,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withDecodeTps(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, v, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withDenseBatching(boolean v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, v, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withReasoningTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, v, loadingSeconds, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withLoadingSeconds(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, v, fault, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withFault(String v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, v, stampEvents, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withStampEvents(boolean v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, v, charsPerToken,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withCharsPerToken(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, v,
        defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withDefaultMaxTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, v, stepTokens, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withStepTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, defaultMaxTokens, v, maxRunning, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withMaxRunning(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, defaultMaxTokens, stepTokens, v, roleDelayMs, sleep, pooling, loops);
  }

  public SimOptions withRoleDelayMs(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, defaultMaxTokens, stepTokens, maxRunning, v, sleep, pooling, loops);
  }

  public SimOptions withSleep(SleepModel v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, v, pooling, loops);
  }

  public SimOptions withPooling(boolean v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, v, loops);
  }

  public SimOptions withLoops(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens,
        ttftBaseMs, decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents,
        charsPerToken, defaultMaxTokens, stepTokens, maxRunning, roleDelayMs, sleep, pooling, v);
  }
}
