package dev.tiergate.upstream;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
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

  /**
   * How {@code backend} serves {@code api}: natively when its engine kind speaks it or the backend
   * declares it ({@code serves}) and no {@code translate} forces translation; translated to chat for
   * Responses and Messages otherwise; not at all for the other APIs.
   */
  public static Support support(BackendConfig backend, Api api) {
    if (backend.translate().contains(api)) {
      return Support.TRANSLATED;
    }
    EngineAdapter a = backend.engine() == null ? null : of(backend.engine());
    if (a != null && a.nativeApis().contains(api) || backend.serves().contains(api)) {
      return Support.NATIVE;
    }
    return api.translatable() ? Support.TRANSLATED : Support.NONE;
  }
}
