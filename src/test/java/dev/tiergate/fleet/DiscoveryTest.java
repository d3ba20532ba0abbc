package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A backend configured by URL and engine alone learns its model name and window from the engine. */
@ExtendWith(BlockedLoopGuard.class)
class DiscoveryTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withTtftBaseMs(1).withDecodeTps(2000).withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("bare-1", sim.withModel("engine-named-model").withContextWindow(32768))
        .sim("named-1", sim.withModel("engine-name").withContextWindow(65536))
        .config("""
            routing: { defaultTier: bare }
            tiers:
              - name: bare
                backends: [{ name: bare-1, url: "${SIM_BARE_1}", engine: vllm }]
              - name: named
                backends: [{ name: named-1, url: "${SIM_NAMED_1}", engine: vllm, model: engine-name, contextWindow: 4096 }]
            """)
        .start();
    Wire.await("the first probe discovered bare-1", 10_000,
        () -> "engine-named-model".equals(gw.gateway().services().fleet().get("bare-1").effectiveModel()));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void discoveredNameAndWindowAreUsed() {
    BackendState s = gw.gateway().services().fleet().get("bare-1");
    assertEquals(32768, s.discoveredWindow());
    TestGateway.Reply r = gw.post("/v1/chat/completions",
        "{\"model\":\"anything\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, r.status(), r.body());
    assertEquals("engine-named-model", new JsonObject(gw.sim("bare-1").stats().lastRequestBody()).getString("model"));
    assertEquals("anything", new JsonObject(r.body()).getString("model"), "the client still sees its own name");
    JsonObject status = new JsonObject(gw.get("/tiergate/status").body());
    JsonObject bare = status.getJsonArray("tiers").getJsonObject(0).getJsonArray("backends").getJsonObject(0);
    assertEquals("discovered", bare.getString("modelSource"));
    assertEquals("discovered", bare.getString("contextWindowSource"));
    assertTrue(gw.get("/v1/models").body().contains("\"engine-named-model\""));
  }

  @Test
  void explicitConfigWins() {
    Wire.await("named-1 probed", 10_000, () -> !gw.gateway().services().fleet().get("named-1").servedModels().isEmpty());
    assertEquals(4096, gw.gateway().services().fleet().contextWindow("named-1").getAsInt());
    TestGateway.Reply r = gw.post("/v1/chat/completions",
        "{\"model\":\"x\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "x-tiergate-tier", "named");
    assertEquals(200, r.status(), r.body());
    assertEquals("engine-name", new JsonObject(gw.sim("named-1").stats().lastRequestBody()).getString("model"));
  }
}
