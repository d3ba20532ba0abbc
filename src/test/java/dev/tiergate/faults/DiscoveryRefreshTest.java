package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.FakeEngine;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An engine's served name and context window are re-read every discovery interval, not only when
 * the backend becomes ready: an engine restarted between two probes with another window is seen
 * anyway. A failed lookup is retried with a backoff that starts at a second, and status says where
 * each value comes from.
 */
@ExtendWith(BlockedLoopGuard.class)
class DiscoveryRefreshTest {
  static Vertx engines;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    engines = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    TestGateway.await(engines.close());
  }

  /** vLLM's /v1/models with the window an engine started with {@code --max-model-len} reports. */
  static String models(int window) {
    return "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\",\"max_model_len\":" + window + "}]}";
  }

  @Test
  void aWindowThatChangesWhileTheEngineStaysReadyIsReadAgainWithinTheInterval() {
    AtomicInteger window = new AtomicInteger(8192);
    FakeEngine engine = FakeEngine.start(engines).on("GET", "/v1/models", (req, body) -> FakeEngine.json(req, 200, models(window.get())));
    try (TestGateway gw = TestGateway.builder()
        .config("""
            health: { intervalMs: 100, timeoutMs: 500, discoveryIntervalMs: 400 }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends:
                  - { name: fast-1, url: "%s", engine: vllm }
                  - { name: pinned-1, url: "%s", engine: vllm, model: m, contextWindow: 4096 }
            """.formatted(engine.url(), engine.url()))
        .start()) {
      Wire.await("the window was discovered", 15_000, () -> gw.gateway().services().fleet().contextWindow("fast-1").orElse(0) == 8192);
      JsonObject first = GatewayState.backend(gw, "fast-1");
      assertEquals("discovered", first.getString("contextWindowSource"), first.encode());
      assertEquals("discovered", first.getString("modelSource"), first.encode());
      JsonObject pinned = GatewayState.backend(gw, "pinned-1");
      assertEquals("config", pinned.getString("contextWindowSource"), pinned.encode());
      assertEquals("config", pinned.getString("modelSource"), pinned.encode());

      // Never unready in between: only a periodic re-read can notice.
      window.set(16384);
      Wire.await("the new window was read within the discovery interval", 5_000,
          () -> gw.gateway().services().fleet().contextWindow("fast-1").orElse(0) == 16384);
      assertEquals(Health.READY, gw.gateway().services().fleet().get("fast-1").health());
      assertEquals(16384, GatewayState.backend(gw, "fast-1").getInteger("contextWindow"));
      assertEquals(4096, GatewayState.backend(gw, "pinned-1").getInteger("contextWindow"), "a configured window wins");
    } finally {
      engine.close();
    }
  }

  @Test
  void anEngineRestartedOnTheSamePortWithAnotherWindowIsReDiscovered() {
    SimOptions sim = SimOptions.defaults("llamacpp").withModel("m").withTtftBaseMs(1).withDecodeTps(5_000).withDenseBatching(false);
    try (TestGateway gw = TestGateway.builder()
        .sim("llama-1", sim.withContextWindow(8192))
        .config("""
            health: { intervalMs: 100, timeoutMs: 500, discoveryIntervalMs: 400 }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: llama-1, url: "${SIM_LLAMA_1}", engine: llamacpp, model: m }]
            """)
        .start()) {
      Wire.await("the window was discovered", 15_000, () -> gw.gateway().services().fleet().contextWindow("llama-1").orElse(0) == 8192);
      int port = gw.sim("llama-1").port();
      TestGateway.await(gw.sim("llama-1").close());
      SimServer restarted = TestGateway.await(SimServer.start(gw.vertx(), sim.withContextWindow(4096).withPort(port)));
      Wire.await("the restarted engine's window was read", 5_000,
          () -> gw.gateway().services().fleet().contextWindow("llama-1").orElse(0) == 4096);
      // The gateway now keeps a prompt that the smaller window cannot hold away from it.
      TestGateway.Reply tooLong = gw.post("/v1/chat/completions",
          "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"" + "w".repeat(24_000) + "\"}]}");
      assertEquals(400, tooLong.status(), tooLong.body());
      assertEquals("context_length_exceeded", new JsonObject(tooLong.body()).getJsonObject("error").getString("code"));
      assertEquals(0, restarted.stats().requests() - deepProbes(restarted), "the engine never saw it");
    }
  }

  static int deepProbes(SimServer sim) {
    return (int) sim.stats().requestBodies().stream().filter(b -> b.contains("\"ping\"")).count();
  }

  @Test
  void aFailedLookupIsRetriedSoonAndStatusSaysWhy() {
    AtomicInteger broken = new AtomicInteger(1);
    FakeEngine engine = FakeEngine.start(engines).on("GET", "/v1/models", (req, body) -> {
      if (broken.get() == 1) {
        FakeEngine.json(req, 500, "{\"error\":{\"message\":\"warming up\"}}");
      } else {
        FakeEngine.json(req, 200, models(8192));
      }
    }).on("POST", "/v1/chat/completions", (req, body) -> FakeEngine.json(req, 200, FakeEngine.completion("hi")));
    try (TestGateway gw = TestGateway.builder()
        .config("""
            # A discovery interval far beyond the test: only the retry after a failure can learn the name.
            health: { intervalMs: 100, timeoutMs: 500, discoveryIntervalMs: 600000 }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "%s", engine: vllm }]
            """.formatted(engine.url()))
        .start()) {
      Wire.await("the lookup failed", 5_000, () -> GatewayState.backend(gw, "fast-1").getString("modelSource").startsWith("failed"));
      JsonObject failed = GatewayState.backend(gw, "fast-1");
      assertTrue(failed.getString("modelSource").contains("/v1/models answered 500"), failed.encode());
      assertTrue(failed.getString("contextWindowSource").startsWith("failed: "), failed.encode());
      assertNull(failed.getValue("model"));
      assertFalse(failed.getBoolean("routable"), "without a served name it is not routed");
      assertEquals(503, gw.post("/v1/chat/completions",
          "{\"model\":\"x\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").status());

      int lookups = engine.seen("/v1/models").size();
      broken.set(0);
      Wire.await("a retry learned the name", 5_000, () -> "discovered".equals(GatewayState.backend(gw, "fast-1").getString("modelSource")));
      assertTrue(engine.seen("/v1/models").size() > lookups, "asked again");
      JsonObject ok = GatewayState.backend(gw, "fast-1");
      assertEquals("m", ok.getString("model"), ok.encode());
      assertEquals(8192, ok.getInteger("contextWindow"), ok.encode());
      assertEquals("discovered", ok.getString("contextWindowSource"), ok.encode());
      assertTrue(ok.getBoolean("routable"), ok.encode());
      assertEquals(200, gw.post("/v1/chat/completions",
          "{\"model\":\"x\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").status());
      // Once learned, the next refresh waits for the full interval: the backoff ended with the failure.
      int after = engine.seen("/v1/models").size();
      int ticks = engine.seen("/health").size();
      Wire.await("five more probe ticks", 5_000, () -> engine.seen("/health").size() >= ticks + 5);
      assertEquals(after, engine.seen("/v1/models").size(), "no lookup before the discovery interval");
    } finally {
      engine.close();
    }
  }
}
