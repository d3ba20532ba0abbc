package dev.tiergate.upstream;

import dev.tiergate.config.Engine;
import java.util.EnumMap;
import java.util.Map;

/** One stateless adapter per engine kind. */
public final class Adapters {
  private static final Map<Engine, EngineAdapter> BY_ENGINE = new EnumMap<>(Engine.class);

  static {
    BY_ENGINE.put(Engine.VLLM, new VllmAdapter(Engine.VLLM));
    BY_ENGINE.put(Engine.SGLANG, new VllmAdapter(Engine.SGLANG));
    BY_ENGINE.put(Engine.LLAMACPP, new LlamaCppAdapter());
    BY_ENGINE.put(Engine.IKLLAMA, new IkLlamaAdapter());
  }

  private Adapters() {}

  public static EngineAdapter of(Engine engine) {
    return BY_ENGINE.get(engine);
  }
}
