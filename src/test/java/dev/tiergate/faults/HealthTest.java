package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState;
import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.DeadPort;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Active probes and the passive circuit: a backend that is loading, down or failing is not routed
 * to, and comes back once a probe (or a half-open trial) sees it healthy. Each case has its own
 * gateway, since what it tests is the fleet's state over time.
 */
@ExtendWith(BlockedLoopGuard.class)
class HealthTest {
  static final SimOptions SIM = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000)
      .withDecodeTps(1000).withDenseBatching(false).withContextWindow(32768);

  static String chat() {
    return "{\"model\":\"client-model\",\"stream\":true,\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  /** Two tiers: {@code first} (the backend under test, no contextWindow configured) falls back to {@code backup}. */
  static String config(String engine, String url, String health) {
    return """
        health: %s
        routing: { defaultTier: first }
        tiers:
          - name: first
            fallback: [backup]
            backends: [{ name: first-1, url: "%s", engine: %s, model: m }]
          - name: backup
            fallback: []
            backends: [{ name: backup-1, url: "${SIM_BACKUP_1}", engine: vllm, model: m, contextWindow: 32768 }]
        """.formatted(health, url, engine);
  }

  static JsonObject status(TestGateway gw, String backend) {
    TestGateway.Reply r = gw.get("/tiergate/status");
    assertEquals(200, r.status());
    for (Object t : new JsonObject(r.body()).getJsonArray("tiers")) {
      for (Object b : ((JsonObject) t).getJsonArray("backends")) {
        if (((JsonObject) b).getString("name").equals(backend)) {
          return (JsonObject) b;
        }
      }
    }
    throw new AssertionError("no backend " + backend + " in " + r.body());
  }

  static void served(TestGateway.Reply r, String backend, String reason) {
    assertEquals(200, r.status(), r.body());
    assertEquals(backend, r.header("x-tiergate-backend"), r.body());
    assertEquals(reason, r.header("x-tiergate-reason"));
    assertTrue(Wire.endsWithDone(r.body()), r.body());
  }

  /** Loads far longer than any test runs: the backend is loading for certain while the test looks. */
  static final double LOADING_FOR_THE_WHOLE_TEST = 600;

  @ParameterizedTest
  @CsvSource({"llamacpp,LOADING", "sglang,LOADING", "ikllama,LOADING", "vllm,DOWN"})
  void aLoadingBackendIsNotRouted(String engine, Health whileLoading) {
    try (TestGateway gw = TestGateway.builder()
        .sim("first-1", SIM.withEngine(engine).withLoadingSeconds(LOADING_FOR_THE_WHOLE_TEST))
        .sim("backup-1", SIM)
        .config(config(engine, "${SIM_FIRST_1}", "{ intervalMs: 100, timeoutMs: 500 }"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the probe saw first-1 " + whileLoading, 5_000, () -> first.health() == whileLoading);
      JsonObject s = status(gw, "first-1");
      assertEquals(whileLoading.name().toLowerCase(Locale.ROOT), s.getString("state"), s.encode());
      assertFalse(s.getBoolean("routable"));
      assertEquals(200, gw.get("/ready").status(), "the gateway is ready: another tier can serve");

      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      TestGateway.Reply r = gw.post("/v1/chat/completions", chat());
      served(r, "backup-1", "fallback:first-down");
      assertNull(r.header("x-tiergate-failed"), "nothing was tried against the loading backend");
      assertEquals(0, gw.sim("first-1").stats().requests(), "the loading backend saw no request");
      outcomes.expect("ok", 1);
      assertEquals(whileLoading, first.health(), "still loading: what the test saw was the loading state");
      Wire.awaitNothingInFlight(gw);
    }
  }

  @ParameterizedTest
  @CsvSource({"llamacpp,LOADING", "sglang,LOADING", "ikllama,LOADING", "vllm,DOWN"})
  void aLoadingBackendIsRoutedOnceAProbeSeesItReady(String engine, Health whileLoading) {
    try (TestGateway gw = TestGateway.builder()
        .sim("first-1", SIM.withEngine(engine).withLoadingSeconds(6))
        .sim("backup-1", SIM)
        .config(config(engine, "${SIM_FIRST_1}", "{ intervalMs: 100, timeoutMs: 500 }"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the probe saw first-1 " + whileLoading, 5_000, () -> first.health() == whileLoading);
      Wire.await("a probe saw first-1 ready", 15_000, () -> first.health() == Health.READY);
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      served(gw.post("/v1/chat/completions", chat()), "first-1", "default");
      assertEquals(1, gw.sim("first-1").stats().requests());
      outcomes.expect("ok", 1);
      JsonObject ready = status(gw, "first-1");
      assertEquals("ready", ready.getString("state"));
      assertEquals(32768, ready.getInteger("contextWindow"), "the window was discovered once it was ready");
      assertEquals("discovered", ready.getString("contextWindowSource"));
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void aBackendThatComesBackIsRoutedAgainAfterAProbe() throws Exception {
    try (DeadPort dead = DeadPort.reserve();
        TestGateway gw = TestGateway.builder()
        .sim("backup-1", SIM)
        .config(config("llamacpp", dead.url(), "{ intervalMs: 100, timeoutMs: 200 }"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the probe saw first-1 down", 2_000, () -> first.health() == Health.DOWN);
      JsonObject down = status(gw, "first-1");
      assertEquals("down", down.getString("state"));
      assertTrue(down.getString("lastError") != null && !down.getString("lastError").isBlank(), down.encode());
      served(gw.post("/v1/chat/completions", chat()), "backup-1", "fallback:first-down");

      SimServer back = dead.handOver(port -> TestGateway.await(SimServer.start(gw.vertx(), SIM.withEngine("llamacpp").withPort(port))));
      Wire.await("a probe saw first-1 ready", 5_000, () -> first.health() == Health.READY);
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      served(gw.post("/v1/chat/completions", chat()), "first-1", "default");
      assertEquals(1, back.stats().requests());
      outcomes.expect("ok", 1);
      JsonObject up = status(gw, "first-1");
      assertEquals(32768, up.getInteger("contextWindow"), "llama.cpp's /props n_ctx, read on recovery");
      assertEquals("discovered", up.getString("contextWindowSource"));
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void theCircuitOpensAfterTheThresholdAndHalfOpensAfterTheCoolDown() {
    try (TestGateway gw = TestGateway.builder()
        .sim("first-1", SIM)
        .sim("backup-1", SIM)
        // No probes after the first: only requests can tell the gateway that first-1 is gone.
        .config(config("vllm", "${SIM_FIRST_1}", "{ intervalMs: 600000, failureThreshold: 2, cooldownMs: 700 }"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the first probe saw first-1 ready", 2_000, () -> first.health() == Health.READY);
      int port = gw.sim("first-1").port();
      TestGateway.await(gw.sim("first-1").close());
      // Held from now on, so that the port refuses connections until the backend comes back on it.
      DeadPort gone = DeadPort.reserve(port);

      for (int i = 1; i <= 2; i++) {
        TestGateway.Reply r = gw.post("/v1/chat/completions", chat());
        served(r, "backup-1", "fallback:first-failed");
        assertEquals("first-1:connect_failure", r.header("x-tiergate-failed"));
        assertEquals(i, status(gw, "first-1").getInteger("consecutiveFailures"));
      }
      JsonObject open = status(gw, "first-1");
      assertEquals("open", open.getString("circuit"), open.encode());
      assertFalse(open.getBoolean("routable"));

      TestGateway.Reply skipped = gw.post("/v1/chat/completions", chat());
      served(skipped, "backup-1", "fallback:first-down");
      assertNull(skipped.header("x-tiergate-failed"), "an open circuit is not even tried");

      // Half-open: after the cool-down one request may try again; failing, it opens the circuit at once.
      Wire.await("the cool-down passed", 3_000, () -> "half-open".equals(status(gw, "first-1").getString("circuit")));
      TestGateway.Reply trial = gw.post("/v1/chat/completions", chat());
      served(trial, "backup-1", "fallback:first-failed");
      assertEquals("first-1:connect_failure", trial.header("x-tiergate-failed"));
      assertEquals("open", status(gw, "first-1").getString("circuit"));

      SimServer back = gone.handOver(p -> TestGateway.await(SimServer.start(gw.vertx(), SIM.withPort(p))));
      Wire.await("the cool-down passed again", 3_000, () -> "half-open".equals(status(gw, "first-1").getString("circuit")));
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      TestGateway.Reply ok = gw.post("/v1/chat/completions", chat());
      served(ok, "first-1", "default");
      assertNull(ok.header("x-tiergate-failed"));
      assertEquals(1, back.stats().requests());
      assertEquals(0, status(gw, "first-1").getInteger("consecutiveFailures"), "a success closes the circuit for good");
      assertEquals("closed", status(gw, "first-1").getString("circuit"));
      served(gw.post("/v1/chat/completions", chat()), "first-1", "default");
      outcomes.expect("ok", 2);
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void aHalfOpenBackendTakesOneTrialAtATimeAndClosesAtItsFirstOutput() throws Exception {
    try (TestGateway gw = TestGateway.builder()
        .sim("first-1", SIM)
        .sim("backup-1", SIM)
        .config(config("vllm", "${SIM_FIRST_1}", "{ intervalMs: 600000, failureThreshold: 1, cooldownMs: 300 }"))
        .start()) {
      BackendState first = gw.gateway().services().fleet().get("first-1");
      Wire.await("the first probe saw first-1 ready", 2_000, () -> first.health() == Health.READY);
      int port = gw.sim("first-1").port();
      TestGateway.await(gw.sim("first-1").close());
      DeadPort gone = DeadPort.reserve(port);
      served(gw.post("/v1/chat/completions", chat()), "backup-1", "fallback:first-failed");
      assertEquals("open", status(gw, "first-1").getString("circuit"));

      // Back, but slow to its first token: the trial stays in flight long enough to race it.
      SimServer back = gone.handOver(p -> TestGateway.await(SimServer.start(gw.vertx(), SIM.withPort(p).withTtftBaseMs(600))));
      Wire.await("the cool-down passed", 3_000, () -> "half-open".equals(status(gw, "first-1").getString("circuit")));
      // Reader.open blocks until the response head, which the gateway sends at the first token.
      CompletableFuture<Wire.Reader> trial = CompletableFuture.supplyAsync(() -> Wire.Reader.open(gw, "/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
          "x-sim-decode-tps", "10"));
      Wire.await("the trial reached first-1", 2_000, () -> back.stats().requests() == 1);
      assertFalse(status(gw, "first-1").getBoolean("routable"), "one trial at a time");

      TestGateway.Reply meanwhile = gw.post("/v1/chat/completions", chat());
      served(meanwhile, "backup-1", "fallback:first-down");
      assertNull(meanwhile.header("x-tiergate-failed"), "a request during the trial is not sent to first-1");
      assertEquals(1, back.stats().requests());

      Wire.Reader reader = trial.get(10, TimeUnit.SECONDS);
      assertEquals(200, reader.response.statusCode());
      assertEquals("first-1", reader.response.getHeader("x-tiergate-backend"));
      Wire.await("the first output closed the circuit", 1_000, () -> "closed".equals(status(gw, "first-1").getString("circuit")));
      assertEquals(1, back.stats().activeStreams(), "while the trial stream is still running");
      served(gw.post("/v1/chat/completions", chat()), "first-1", "default");
      assertTrue(Wire.endsWithDone(reader.awaitEnd()));
      Wire.awaitNothingInFlight(gw);
    }
  }
}
