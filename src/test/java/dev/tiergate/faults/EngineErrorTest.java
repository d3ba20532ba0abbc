package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An engine that answers a request with an error of its own (a 500 with a JSON error body) may be
 * reacting to the request as much as failing: client traffic alone never opens its circuit. The
 * prober settles it with a request it knows is good: an engine that fails that too is taken out,
 * and comes back once a good request succeeds again. Two engines rejecting a request in the same
 * words say the request is the problem: the fallback chain stops there.
 */
@ExtendWith(BlockedLoopGuard.class)
class EngineErrorTest {
  static final SimOptions SIM = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
      .withDecodeTps(5_000).withDenseBatching(false).withContextWindow(32768);

  @BeforeAll
  static void warm() {
    JvmWarmUp.once();
  }

  static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static String config(String health) {
    return """
        health: %s
        routing: { defaultTier: err }
        tiers:
          - name: err
            fallback: [ok]
            backends: [{ name: err-1, url: "${SIM_ERR_1}", engine: vllm, model: m, contextWindow: 32768 }]
          - name: ok
            fallback: []
            backends: [{ name: ok-1, url: "${SIM_OK_1}", engine: vllm, model: m, contextWindow: 32768 }]
        """.formatted(health);
  }

  @Test
  void clientTrafficAloneNeverOpensTheCircuitOfAnEngineAnsweringItsOwnErrors() {
    try (TestGateway gw = TestGateway.builder()
        .sim("err-1", SIM.withFault("error-500"))
        .sim("ok-1", SIM)
        // One probe at start and none after: the deep probe cannot step in, so only request outcomes count.
        .config(config("{ intervalMs: 600000, timeoutMs: 5000, failureThreshold: 2, cooldownMs: 60000 }"))
        .start()) {
      BackendState err = gw.gateway().services().fleet().get("err-1");
      Wire.await("the first probe saw err-1 ready", 15_000, () -> err.health() == Health.READY);
      int n = 8;
      for (int i = 0; i < n; i++) {
        TestGateway.Reply r = gw.post("/v1/chat/completions", chat(i % 2 == 0));
        assertEquals(200, r.status(), r.body());
        assertEquals("ok-1", r.header("x-tiergate-backend"));
        assertEquals("err-1:engine_error", r.header("x-tiergate-failed"));
        assertEquals("fallback:err-failed", r.header("x-tiergate-reason"));
      }
      assertEquals(n, gw.sim("err-1").stats().requests(), "every request still tried err-1 first: its circuit never opened");
      JsonObject s = GatewayState.backend(gw, "err-1");
      assertEquals("closed", s.getString("circuit"), s.encode());
      assertEquals(0, s.getInteger("consecutiveFailures"), s.encode());
      assertTrue(s.getBoolean("routable"), s.encode());
      assertEquals(0, GatewayState.backend(gw, "ok-1").getInteger("consecutiveFailures"));
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void anErrorEventBeforeTheFirstOutputIsAnEngineErrorToo() {
    Vertx engines = Vertx.vertx();
    // 200, a role chunk, then an error event in the engine's words, before any output.
    FakeEngine err = FakeEngine.start(engines).on("POST", "/v1/chat/completions", (req, body) -> {
      FakeEngine.sseHead(req);
      req.response().write(FakeEngine.event(FakeEngine.chunk(null)));
      req.response().end(FakeEngine.event("{\"error\":{\"message\":\"CUDA error: an illegal memory access\",\"type\":\"server_error\","
          + "\"code\":500}}"));
    });
    try (TestGateway gw = TestGateway.builder()
        .sim("ok-1", SIM)
        .config(config("{ intervalMs: 600000, timeoutMs: 5000, failureThreshold: 2, cooldownMs: 60000 }")
            .replace("${SIM_ERR_1}", err.url()))
        .start()) {
      var fleet = gw.gateway().services().fleet();
      Wire.await("the first probes finished", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
      for (int i = 0; i < 4; i++) {
        TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true));
        assertEquals(200, r.status(), r.body());
        assertEquals("ok-1", r.header("x-tiergate-backend"));
        assertEquals("err-1:engine_error", r.header("x-tiergate-failed"));
        assertTrue(Wire.errors(r.body()).isEmpty(), "the client saw none of it: " + r.body());
      }
      assertEquals(4, err.generations().size(), "its circuit never opened: every request tried it first");
      JsonObject s = GatewayState.backend(gw, "err-1");
      assertEquals("closed", s.getString("circuit"), s.encode());
      assertEquals(0, s.getInteger("consecutiveFailures"), s.encode());
      Wire.awaitNothingInFlight(gw);
    } finally {
      err.close();
      TestGateway.await(engines.close());
    }
  }

  @Test
  void theDeepProbeTakesABrokenEngineOutAndBringsItBackWhenItHeals() {
    try (TestGateway gw = TestGateway.builder()
        .sim("err-1", SIM.withFault("error-500"))
        .sim("ok-1", SIM)
        .config(config("{ intervalMs: 100, timeoutMs: 500, failureThreshold: 50, cooldownMs: 60000, deepProbeTimeoutMs: 1000 }"))
        .start()) {
      BackendState err = gw.gateway().services().fleet().get("err-1");
      Wire.await("a probe saw err-1 ready", 15_000, () -> err.health() == Health.READY);
      assertEquals(0, gw.sim("err-1").stats().requests(), "/health alone says nothing about serving");

      TestGateway.Reply first = gw.post("/v1/chat/completions", chat(true));
      assertEquals(200, first.status(), first.body());
      assertEquals("err-1:engine_error", first.header("x-tiergate-failed"));

      // The engine error made it suspect; the next tick sends the known-good one-token request, which fails too.
      Wire.await("the deep probe took err-1 out", 5_000, () -> err.health() == Health.DOWN);
      JsonObject down = GatewayState.backend(gw, "err-1");
      assertEquals("down", down.getString("state"), down.encode());
      assertTrue(down.getString("lastError").contains("one-token request"), down.encode());
      assertEquals(0, down.getInteger("consecutiveFailures"), "taken out by the prober, not by counting requests");
      assertTrue(gw.sim("err-1").stats().requestBodies().stream().anyMatch(b -> b.contains("\"ping\"")), "the deep probe went out");

      int seenBefore = gw.sim("err-1").stats().requests();
      TestGateway.Reply whileDown = gw.post("/v1/chat/completions", chat(false));
      assertEquals(200, whileDown.status(), whileDown.body());
      assertEquals("ok-1", whileDown.header("x-tiergate-backend"));
      assertEquals("fallback:err-down", whileDown.header("x-tiergate-reason"));
      assertNull(whileDown.header("x-tiergate-failed"), "a backend that is down is not tried");
      // Its /health is still 200, but only a deep probe may bring it back: it stays out over many ticks.
      Wire.await("more deep probes failed", 5_000, () -> gw.sim("err-1").stats().requests() >= seenBefore + 3);
      assertEquals(Health.DOWN, err.health());

      int port = gw.sim("err-1").port();
      TestGateway.await(gw.sim("err-1").close());
      SimServer healed = TestGateway.await(SimServer.start(gw.vertx(), SIM.withPort(port)));
      Wire.await("a deep probe brought err-1 back", 5_000, () -> err.health() == Health.READY);
      TestGateway.Reply back = gw.post("/v1/chat/completions", chat(true));
      assertEquals(200, back.status(), back.body());
      assertEquals("err-1", back.header("x-tiergate-backend"));
      assertNull(back.header("x-tiergate-failed"));
      assertNull(GatewayState.backend(gw, "err-1").getValue("lastError"), "the old error is gone once it serves again");
      assertTrue(healed.stats().requests() >= 2, "a deep probe and the request");
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void aRequestTwoEnginesRejectInTheSameWordsStopsThere() {
    try (TestGateway gw = TestGateway.builder()
        .sim("e-1", SIM.withFault("error-500"))
        .sim("e-2", SIM.withFault("error-500"))
        .sim("ok-1", SIM)
        .config("""
            health: { intervalMs: 600000, timeoutMs: 5000 }
            routing: { defaultTier: first }
            tiers:
              - name: first
                fallback: [second, ok]
                backends: [{ name: e-1, url: "${SIM_E_1}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: second
                fallback: [ok]
                backends: [{ name: e-2, url: "${SIM_E_2}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: ok
                fallback: []
                backends: [{ name: ok-1, url: "${SIM_OK_1}", engine: vllm, model: m, contextWindow: 32768 }]
            """)
        .start()) {
      var fleet = gw.gateway().services().fleet();
      Wire.await("the first probes finished", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
      for (boolean stream : new boolean[] {true, false}) {
        TestGateway.Reply r = gw.post("/v1/chat/completions", chat(stream));
        assertEquals(502, r.status(), r.body());
        JsonObject e = new JsonObject(r.body()).getJsonObject("error");
        assertEquals("upstream_error", e.getString("type"), r.body());
        assertTrue(e.getString("message").contains("simulated engine fault error-500"), r.body());
        assertEquals("e-1:engine_error,e-2:engine_error", r.header("x-tiergate-failed"));
        assertEquals("e-2", r.header("x-tiergate-backend"), "the last backend tried");
      }
      assertEquals(2, gw.sim("e-1").stats().requests());
      assertEquals(2, gw.sim("e-2").stats().requests());
      assertEquals(0, gw.sim("ok-1").stats().requests(), "the third backend was never tried");
      Wire.awaitNothingInFlight(gw);
    }
  }
}
