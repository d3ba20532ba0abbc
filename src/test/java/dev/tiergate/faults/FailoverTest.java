package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.DeadPort;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures before the first byte reached the client: each moves the request to the next candidate
 * (or, with nowhere left to go, ends it with a proper status). Every case checks what the client
 * saw, what the backends saw, and the outcome the metrics counted.
 */
@ExtendWith(BlockedLoopGuard.class)
class FailoverTest {
  static TestGateway gw;
  /** ghost-1 and void-1 point at these: ports that refuse connections until the class is done. */
  static DeadPort ghost;
  static DeadPort voidPort;
  static Wire.Outcomes outcomes;
  static long betaOkBefore;

  @BeforeAll
  static void start() throws Exception {
    ghost = DeadPort.reserve();
    voidPort = DeadPort.reserve();
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000)
        .withDecodeTps(1000).withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("alpha-1", sim)
        .sim("beta-1", sim)
        .sim("err-1", sim.withFault("error-500"))
        .sim("busy-1", sim.withFault("error-503"))
        .sim("stall-1", sim.withFault("stall-first"))
        .config("""
            # One probe at start, then none during the test: what the probe saw stays what the router knows.
            health: { intervalMs: 600000, timeoutMs: 500, failureThreshold: 1000, cooldownMs: 1000 }
            routing: { defaultTier: alpha }
            tiers:
              - name: alpha
                fallback: [beta]
                backends: [{ name: alpha-1, url: "${SIM_ALPHA_1}", engine: vllm, model: m }]
              - name: beta
                fallback: []
                backends: [{ name: beta-1, url: "${SIM_BETA_1}", engine: vllm, model: m }]
              - name: ghost
                fallback: [beta]
                backends: [{ name: ghost-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
              - name: void
                fallback: [ghost]
                backends: [{ name: void-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
              - name: err
                fallback: [beta]
                backends: [{ name: err-1, url: "${SIM_ERR_1}", engine: vllm, model: m }]
              - name: busy
                fallback: [beta]
                backends: [{ name: busy-1, url: "${SIM_BUSY_1}", engine: vllm, model: m }]
              - name: stall
                fallback: [beta]
                timeouts: { connectMs: 200, ttftMs: 300 }
                backends: [{ name: stall-1, url: "${SIM_STALL_1}", engine: vllm, model: m }]
            """.formatted(ghost.port(), voidPort.port()))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes finished", 5_000, () -> fleet.get("alpha-1").health() == BackendState.Health.READY
        && fleet.get("ghost-1").health() == BackendState.Health.DOWN && fleet.get("void-1").health() == BackendState.Health.DOWN);
    // The probe saw alpha-1 ready; from now on it refuses connections and only a request can find out.
    TestGateway.await(gw.sim("alpha-1").close());
  }

  @AfterAll
  static void stop() {
    gw.close();
    ghost.close();
    voidPort.close();
  }

  @BeforeEach
  void reset() {
    for (String s : new String[] {"beta-1", "err-1", "busy-1", "stall-1"}) {
      gw.sim(s).stats().reset();
    }
    outcomes = Wire.Outcomes.snapshot(gw);
    betaOkBefore = Wire.outcome(gw, "beta-1", "ok");
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String chat(boolean stream) {
    return "{\"model\":\"client-model\",\"stream\":" + stream + ",\"max_tokens\":5,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
  }

  static void servedByBeta(TestGateway.Reply r, boolean stream, String reason) {
    assertEquals(200, r.status(), r.body());
    assertEquals("beta", r.header("x-tiergate-tier"));
    assertEquals("beta-1", r.header("x-tiergate-backend"));
    assertEquals(reason, r.header("x-tiergate-reason"));
    if (stream) {
      assertTrue(Wire.endsWithDone(r.body()), r.body());
      assertEquals(5, Wire.joined(r.body(), "content").split(" ").length, r.body());
      assertTrue(Wire.errors(r.body()).isEmpty(), r.body());
    } else {
      JsonObject body = new JsonObject(r.body());
      assertEquals(5, body.getJsonObject("usage").getInteger("completion_tokens"));
    }
    assertEquals(1, gw.sim("beta-1").stats().requests(), "the fallback backend served it once");
    outcomes.expect("ok", 1);
    assertEquals(1, Wire.outcome(gw, "beta-1", "ok") - betaOkBefore, "the ok is counted against the backend that served it");
  }

  @Test
  void aBackendTheProbeSawDownIsSkipped() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true), "x-tiergate-tier", "ghost");
    assertNull(r.header("x-tiergate-failed"), "nothing was tried against a backend known to be down");
    servedByBeta(r, true, "fallback:ghost-down");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aRefusedConnectionFailsOver(boolean stream) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(stream));
    assertEquals("alpha-1:connect_failure", r.header("x-tiergate-failed"));
    servedByBeta(r, stream, "fallback:alpha-failed");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void a500BeforeTheFirstByteFailsOver(boolean stream) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(stream), "x-tiergate-tier", "err");
    assertEquals("err-1:engine_error", r.header("x-tiergate-failed"), "the engine answered with an error of its own");
    assertEquals(1, gw.sim("err-1").stats().requests(), "the failing backend was asked once");
    servedByBeta(r, stream, "fallback:err-failed");
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void a503BeforeTheFirstByteFailsOver(boolean stream) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(stream), "x-tiergate-tier", "busy");
    assertEquals("busy-1:server_error", r.header("x-tiergate-failed"));
    assertEquals(1, gw.sim("busy-1").stats().requests());
    servedByBeta(r, stream, "fallback:busy-failed");
  }

  @Test
  void aStallBeforeTheFirstTokenHitsTheTtftDeadlineThenFailsOver() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true), "x-tiergate-tier", "stall");
    assertEquals("stall-1:timeout", r.header("x-tiergate-failed"));
    var stalled = gw.sim("stall-1").stats();
    Wire.await("the stalled backend saw its request aborted", 2_000, () -> stalled.aborted() == 1);
    assertEquals(1, stalled.requests());
    assertEquals(0, stalled.activeStreams());
    servedByBeta(r, true, "fallback:stall-failed");
  }

  @Test
  void aStallWithNowhereElseToGoIsA504Timeout() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true), "x-tiergate-tier", "stall", "x-tiergate-strict", "true");
    assertEquals(504, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("upstream_timeout", err.getString("code"));
    assertTrue(err.getString("message").contains("TTFT"), err.encode());
    assertEquals("stall-1:timeout", r.header("x-tiergate-failed"));
    var stalled = gw.sim("stall-1").stats();
    Wire.await("the stalled backend saw its request aborted", 2_000, () -> stalled.aborted() == 1);
    assertEquals(0, gw.sim("beta-1").stats().requests(), "a strict hint never falls back");
    outcomes.expect("timeout", 1);
  }

  @Test
  void everyAllowedTierKnownDownIs503WithRetryAfter() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true), "x-tiergate-tier", "void");
    assertEquals(503, r.status(), r.body());
    assertNotNull(r.header("retry-after"));
    assertTrue(Long.parseLong(r.header("retry-after")) >= 1);
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("no_backend_available", err.getString("code"));
    assertTrue(err.getString("message").contains("void") && err.getString("message").contains("ghost"), err.encode());
    assertEquals(0, gw.sim("beta-1").stats().requests(), "beta is not among void's fallbacks");
    outcomes.expect("rejected", 1);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void everyCandidateRefusingAtRequestTimeIs503WithRetryAfter(boolean stream) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(stream), "x-tiergate-tier", "alpha", "x-tiergate-strict", "true");
    assertEquals(503, r.status(), r.body());
    assertNotNull(r.header("retry-after"));
    assertEquals("alpha-1:connect_failure", r.header("x-tiergate-failed"));
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("upstream_unavailable", err.getString("code"));
    assertEquals(0, gw.sim("beta-1").stats().requests());
    outcomes.expect("upstream_error", 1);
  }
}
