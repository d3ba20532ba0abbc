package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.DeadPort;
import dev.tiergate.testing.RawHttp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /ready}: 200 when at least one tier can serve, else 503 — and 503 once the gateway is draining. */
@ExtendWith(BlockedLoopGuard.class)
class ReadinessTest {
  static final SimOptions SIM = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000)
      .withDecodeTps(20).withDenseBatching(false);
  static final String CONFIG = """
      health: { intervalMs: 600000 }
      routing: { defaultTier: main }
      tiers:
        - { name: main, backends: [{ name: main-1, url: "${SIM_MAIN_1}", engine: vllm, model: m }] }
      """;

  /** Each test starts its own gateway; the first start in a JVM loads classes for longer than the blocked-loop limit. */
  @BeforeAll
  static void loadClassesOutsideTheGuardedTests() {
    try (TestGateway gw = TestGateway.builder().sim("main-1", SIM).config(CONFIG).start()) {
      Wire.warmUp(gw, "main");
    }
  }

  @Test
  void notReadyWhenNoTierCanServe() {
    try (DeadPort dead = DeadPort.reserve();
        TestGateway gw = TestGateway.builder()
            .env("DEAD", dead.url())
            .config("""
                health: { intervalMs: 100, timeoutMs: 500 }
                routing: { defaultTier: only }
                tiers:
                  - { name: only, backends: [{ name: only-1, url: "${DEAD}", engine: vllm, model: m }] }
                """)
            .start()) {
      BackendState only = gw.gateway().services().fleet().get("only-1");
      Wire.await("the probe saw only-1 down", 5_000, () -> only.health() == BackendState.Health.DOWN);
      TestGateway.Reply r = gw.get("/ready");
      assertEquals(503, r.status(), r.body());
      assertEquals("not_ready", new JsonObject(r.body()).getString("status"));
      assertEquals(200, gw.get("/health").status(), "the process itself is alive");
    }
  }

  @Test
  void notReadyWhileDraining() {
    try (TestGateway gw = TestGateway.builder().sim("main-1", SIM).config(CONFIG).start();
        RawHttp http = RawHttp.connect(gw.port())) {
      Wire.warmUp(gw, "main");
      assertEquals(200, gw.get("/ready").status(), "ready before the drain");
      // One connection: a stream of ≈ 2 s, and a readiness check pipelined behind it. The check is
      // answered after the stream, by which time the gateway is draining. (A new connection would be
      // refused outright: the listener stops accepting at once.)
      http.send(RawHttp.post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"max_tokens\":40,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}") + RawHttp.get("/ready"));
      http.readUntil(s -> s.contains("\"content\":\""), 5_000);
      var drained = gw.gateway().drain(5_000);
      String all = http.readUntil(s -> s.contains("not_ready") || s.contains("\"status\":\"ready\""), 10_000);
      assertTrue(all.contains("data: [DONE]"), "the stream finished within the drain time: " + all);
      String second = all.substring(all.indexOf("data: [DONE]"));
      assertTrue(second.contains("HTTP/1.1 503"), "the pipelined check was answered 503: " + second);
      assertTrue(second.contains("{\"status\":\"not_ready\"}"), second);
      TestGateway.await(drained);
    }
  }
}
