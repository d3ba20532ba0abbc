package dev.tiergate.sim;

/**
 * Everything that shapes one simulated engine. Immutable so a running server can hand out its options safely;
 * the withX methods exist because tests usually tweak one or two knobs of {@link #defaults(String)}.
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
    int defaultMaxTokens) {

  public SimOptions {
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
    if (fault != null && fault.isBlank()) {
      fault = null;
    }
    if (fault != null) {
      Fault.parse(fault);
    }
  }

  /** Numbers from the seed rig (Qwen3.6-27B class, W8A8 on two 24 GB cards). */
  public static SimOptions defaults(String engine) {
    return new SimOptions(engine, "127.0.0.1", 0, "qwen3.6-27b", 262144, 2000, 80000, 120, 70, true, 0, 0, null,
        false, 4.0, 256);
  }

  Engine engineKind() {
    return Engine.parse(engine);
  }

  public SimOptions withEngine(String v) {
    return new SimOptions(v, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withHost(String v) {
    return new SimOptions(engine, v, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withPort(int v) {
    return new SimOptions(engine, host, v, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withModel(String v) {
    return new SimOptions(engine, host, port, v, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withContextWindow(int v) {
    return new SimOptions(engine, host, port, model, v, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withPrefillTps(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, v, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withPrefillHalfRateTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, v, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withTtftBaseMs(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, v,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withDecodeTps(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        v, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withDenseBatching(boolean v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, v, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withReasoningTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, v, loadingSeconds, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withLoadingSeconds(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, v, fault, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withFault(String v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, v, stampEvents, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withStampEvents(boolean v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, v, charsPerToken, defaultMaxTokens);
  }

  public SimOptions withCharsPerToken(double v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, v, defaultMaxTokens);
  }

  public SimOptions withDefaultMaxTokens(int v) {
    return new SimOptions(engine, host, port, model, contextWindow, prefillTps, prefillHalfRateTokens, ttftBaseMs,
        decodeTps, denseBatching, reasoningTokens, loadingSeconds, fault, stampEvents, charsPerToken, v);
  }
}
