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
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An engine whose {@code /health} says ready while its requests hang (a wedged scheduler, a dead
 * GPU) is found by a one-token deep probe, taken out, and its waiting requests move on long before
 * their own TTFT deadline; it comes back only when a deep probe succeeds. An engine that is merely
 * busy, with output flowing on other requests, is left alone.
 */
@ExtendWith(BlockedLoopGuard.class)
class WedgedBackendTest {
  static final SimOptions SIM = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
      .withDecodeTps(5_000).withDenseBatching(false).withContextWindow(32768);
  static final String HEALTH = "{ intervalMs: 100, timeoutMs: 500, stallMs: 500, deepProbeTimeoutMs: 500, failureThreshold: 50,"
      + " cooldownMs: 60000 }";

  @BeforeAll
  static void warm() {
    JvmWarmUp.once();
  }

  static String config(String firstTtftMs) {
    return """
        health: %s
        routing: { defaultTier: first }
        tiers:
          - name: first
            fallback: [backup]
            timeouts: { ttftMs: %s }
            backends: [{ name: first-1, url: "${SIM_FIRST_1}", engine: vllm, model: m, contextWindow: 32768 }]
          - name: backup
            fallback: []
            backends: [{ name: backup-1, url: "${SIM_BACKUP_1}", engine: vllm, model: m, contextWindow: 32768 }]
        """.formatted(HEALTH, firstTtftMs);
  }

  static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static boolean deepProbed(SimServer sim) {
    return sim.stats().requestBodies().stream().anyMatch(b -> b.contains("\"ping\""));
  }

  @Test
  void aWedgedBackendIsTakenOutItsWaitingRequestsFailOverAndADeepProbeBringsItBack() throws Exception {
    try (TestGateway gw = TestGateway.builder()
        .sim("first-1", SIM.withFault("stall-first"))
        .sim("backup-1", SIM)
        // A TTFT deadline far beyond the test: only the deep probe can move the waiting requests.
        .config(config("60000"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the probes saw both backends ready", 15_000,
          () -> gw.gateway().services().fleet().all().stream().allMatch(b -> b.health() == Health.READY));

      long start = System.nanoTime();
      List<CompletableFuture<TestGateway.Reply>> waiting = new ArrayList<>();
      for (boolean stream : new boolean[] {true, false}) {
        waiting.add(CompletableFuture.supplyAsync(() -> gw.post("/v1/chat/completions", chat(stream))));
      }
      for (CompletableFuture<TestGateway.Reply> w : waiting) {
        TestGateway.Reply r = w.get(20, TimeUnit.SECONDS);
        assertEquals(200, r.status(), r.body());
        assertEquals("backup-1", r.header("x-tiergate-backend"), "the waiting request moved to the other backend");
        assertEquals("first-1:timeout", r.header("x-tiergate-failed"));
      }
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(tookMs < 10_000, "moved on after the stall bound, not the 60 s TTFT deadline: " + tookMs + " ms");
      assertEquals(Health.DOWN, first.health());
      JsonObject down = GatewayState.backend(gw, "first-1");
      assertEquals("down", down.getString("state"), down.encode());
      assertTrue(down.getString("lastError").contains("one-token request got no answer"), down.encode());
      assertTrue(deepProbed(gw.sim("first-1")), "a deep probe went out");

      TestGateway.Reply meanwhile = gw.post("/v1/chat/completions", chat(true));
      assertEquals("backup-1", meanwhile.header("x-tiergate-backend"));
      assertEquals("fallback:first-down", meanwhile.header("x-tiergate-reason"));
      assertNull(meanwhile.header("x-tiergate-failed"), "a backend taken out is not tried");
      // /health still answers 200, yet it stays out while the deep probes keep hanging.
      int seen = gw.sim("first-1").stats().requests();
      Wire.await("three more deep probes went unanswered", 10_000, () -> gw.sim("first-1").stats().requests() >= seen + 3);
      assertEquals(Health.DOWN, first.health(), "only a deep probe that succeeds brings it back");

      int port = gw.sim("first-1").port();
      TestGateway.await(gw.sim("first-1").close());
      SimServer healed = TestGateway.await(SimServer.start(gw.vertx(), SIM.withPort(port)));
      Wire.await("a deep probe brought first-1 back", 5_000, () -> first.health() == Health.READY);
      assertTrue(deepProbed(healed), "it came back through a deep probe");
      TestGateway.Reply back = gw.post("/v1/chat/completions", chat(true));
      assertEquals(200, back.status(), back.body());
      assertEquals("first-1", back.header("x-tiergate-backend"));
      assertNull(GatewayState.backend(gw, "first-1").getValue("lastError"));
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void aBusyBackendWhoseStreamsFlowIsNotTakenOut() throws Exception {
    try (TestGateway gw = TestGateway.builder()
        // Every request without a fault header of its own hangs, deep probes included: were one sent and
        // believed, the backend would go down.
        .sim("first-1", SIM.withFault("stall-first"))
        .sim("backup-1", SIM)
        .config(config("2000"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the probes saw both backends ready", 15_000,
          () -> gw.gateway().services().fleet().all().stream().allMatch(b -> b.health() == Health.READY));
      // A stream that keeps flowing: 20 tokens/s for 10 s.
      Wire.Reader flowing = Wire.Reader.open(gw, "/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}",
          "x-sim-fault", "none", "x-sim-decode-tps", "20");
      assertEquals(200, flowing.response.statusCode());
      assertEquals("first-1", flowing.response.getHeader("x-tiergate-backend"));

      // Meanwhile a request waits for its first output far longer than stallMs (until its 2 s TTFT deadline).
      CompletableFuture<TestGateway.Reply> waiting = CompletableFuture.supplyAsync(() -> gw.post("/v1/chat/completions", chat(true)));
      List<Health> states = new ArrayList<>();
      while (!waiting.isDone()) {
        states.add(first.health());
        Thread.sleep(20);
      }
      TestGateway.Reply r = waiting.get();
      assertEquals(200, r.status(), r.body());
      assertEquals("backup-1", r.header("x-tiergate-backend"));
      assertEquals("first-1:timeout", r.header("x-tiergate-failed"), "cut at its own TTFT deadline");
      assertTrue(states.size() > 10, "health watched while the request waited");
      assertTrue(states.stream().allMatch(h -> h == Health.READY), "never taken out while output flowed: " + states);
      assertEquals(Health.READY, first.health());
      assertTrue(flowing.body().contains("\"content\""), "the stream was flowing");
      JsonObject s = GatewayState.backend(gw, "first-1");
      assertEquals("ready", s.getString("state"), s.encode());
      assertTrue(s.getBoolean("routable"), s.encode());
      flowing.closeConnection();
      Wire.awaitNothingInFlight(gw);
    }
  }

  /**
   * A non-streamed answer shows nothing until it is complete, so an engine whose slots are all busy
   * with whole answers (llama.cpp with its {@code -np} slots taken) looks wedged from outside: its
   * deep probe waits in the engine's queue and times out. The engine's own progress counter
   * ({@code llamacpp:n_decode_total} in {@code /metrics}, with {@code --metrics}) keeps moving while
   * it works, and that tells saturated from wedged.
   */
  @Test
  void aSaturatedEngineBusyWithWholeAnswersIsNotTakenOut() {
    Vertx engines = Vertx.vertx();
    int[] busy = {0};
    long[] decodes = {0};
    List<HttpServerRequest> deferred = new ArrayList<>();
    // One slot: a generation holds it 2.5 s and answers whole; a deep probe waits for the slot.
    FakeEngine saturated = FakeEngine.start(engines).on("GET", "/metrics", (req, body) -> {
      decodes[0] += busy[0] > 0 ? 7 : 0; // the engine decodes while a slot is busy
      req.response().putHeader("content-type", "text/plain; version=0.0.4")
          .end("# TYPE llamacpp:n_decode_total counter\nllamacpp:n_decode_total " + decodes[0] + "\n"
              + "llamacpp:requests_processing " + busy[0] + "\nllamacpp:requests_deferred " + deferred.size() + "\n");
    }).on("POST", "/v1/chat/completions", (req, body) -> {
      if (body.toString().contains("\"ping\"") && busy[0] > 0) {
        deferred.add(req);
        return;
      }
      busy[0]++;
      engines.setTimer(body.toString().contains("\"ping\"") ? 1 : 2_500, id -> {
        busy[0]--;
        FakeEngine.json(req, 200, FakeEngine.completion("done"));
        deferred.forEach(q -> FakeEngine.json(q, 200, FakeEngine.completion("pong")));
        deferred.clear();
      });
    });
    try (TestGateway gw = TestGateway.builder()
        .sim("backup-1", SIM)
        .config(config("10000").replace("url: \"${SIM_FIRST_1}\", engine: vllm", "url: \"" + saturated.url() + "\", engine: llamacpp"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the probes saw both backends ready", 15_000,
          () -> gw.gateway().services().fleet().all().stream().allMatch(b -> b.health() == Health.READY));
      TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false));
      assertEquals("first-1", r.header("x-tiergate-backend"), "served where it was running: " + r.header("x-tiergate-failed"));
      assertEquals(Health.READY, first.health(), String.valueOf(first.lastError()));
    } finally {
      saturated.close();
      TestGateway.await(engines.close());
    }
  }
}
