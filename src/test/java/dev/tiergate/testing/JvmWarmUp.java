package dev.tiergate.testing;

import dev.tiergate.sim.SimOptions;

/**
 * Loads the classes of a gateway's and a simulator's whole life (start, probe, stream, error,
 * stop) once per test JVM, from {@code @BeforeAll}. Tests that start their own gateway inside the
 * test method would otherwise pay that first-use cost on an event loop while the blocked-loop guard
 * (300 ms) is watching.
 */
public final class JvmWarmUp {
  private static boolean done;

  private JvmWarmUp() {}

  public static synchronized void once() {
    if (done) {
      return;
    }
    done = true;
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5_000).withDenseBatching(false)
        .withContextWindow(32768);
    try (TestGateway gw = TestGateway.builder()
        .sim("warm-1", sim)
        .sim("warm-2", sim.withEngine("llamacpp"))
        .config("""
            health: { intervalMs: 100, timeoutMs: 500 }
            routing: { defaultTier: warm }
            tiers:
              - name: warm
                fallback: [llama]
                backends: [{ name: warm-1, url: "${SIM_WARM_1}", engine: vllm, model: m }]
              - name: llama
                fallback: []
                backends: [{ name: warm-2, url: "${SIM_WARM_2}", engine: llamacpp, model: m }]
            """)
        .start()) {
      Wire.await("the warm-up backends are probed", 15_000,
          () -> gw.gateway().services().fleet().all().stream().allMatch(b -> b.discoveredWindow() != null));
      Wire.warmUp(gw, "warm", "llama");
      gw.post("/v1/chat/completions", "{\"messages\":[{\"role\":true}]}");
      gw.get("/metrics");
    }
  }
}
