package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimStats;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures after the first byte reached the client: no failover any more, so the client's stream
 * must end with an OpenAI-style error event and be closed — never hang, never a fake {@code [DONE]}
 * — and the upstream must be torn down. Also the client leaving, streaming or not.
 */
@ExtendWith(BlockedLoopGuard.class)
class MidStreamFaultTest {
  static TestGateway gw;
  Wire.Outcomes outcomes;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000)
        .withDecodeTps(500).withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("main-1", sim)
        .sim("backup-1", sim)
        .sim("llama-1", sim.withEngine("llamacpp"))
        .sim("short-1", sim)
        .config("""
            # Faults here are on purpose; the circuit breaker has its own test and must not reroute these.
            health: { intervalMs: 600000, failureThreshold: 1000 }
            routing: { defaultTier: main }
            timeouts: { connectMs: 500, ttftMs: 3000, idleMs: 300, totalMs: 20000 }
            tiers:
              - name: main
                fallback: [backup]
                backends: [{ name: main-1, url: "${SIM_MAIN_1}", engine: vllm, model: m }]
              - name: backup
                fallback: []
                backends: [{ name: backup-1, url: "${SIM_BACKUP_1}", engine: vllm, model: m }]
              - name: llama
                fallback: [backup]
                backends: [{ name: llama-1, url: "${SIM_LLAMA_1}", engine: llamacpp, model: m }]
              - name: short
                fallback: [backup]
                timeouts: { ttftMs: 1000, idleMs: 300, totalMs: 1000 }
                backends: [{ name: short-1, url: "${SIM_SHORT_1}", engine: vllm, model: m }]
            """)
        .start();
    Wire.warmUp(gw, "main", "llama");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @BeforeEach
  void reset() {
    for (String s : new String[] {"main-1", "backup-1", "llama-1", "short-1"}) {
      gw.sim(s).stats().reset();
    }
    outcomes = Wire.Outcomes.snapshot(gw);
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
    assertEquals(0, gw.sim("main-1").stats().activeStreams(), "the backend holds no stream any more");
    assertEquals(0, gw.sim("backup-1").stats().requests(), "no failover once bytes reached the client");
  }

  static String chat(boolean stream, int maxTokens) {
    return "{\"model\":\"client-model\",\"stream\":" + stream + ",\"max_tokens\":" + maxTokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
  }

  static Wire.Reader open(String body, String... headers) {
    Wire.Reader r = Wire.Reader.open(gw, "/v1/chat/completions", body, headers);
    assertEquals(200, r.response.statusCode(), "the stream was committed before the fault");
    return r;
  }

  /** The stream ended (the connection did not hang), without [DONE], with one error event last. */
  static JsonObject endsWithOneErrorEvent(String body) {
    List<String> data = Wire.data(body);
    assertFalse(Wire.hasDone(body), "no [DONE] hides the failure: " + body);
    List<JsonObject> errors = Wire.errors(body);
    assertEquals(1, errors.size(), body);
    JsonObject last = new JsonObject(data.get(data.size() - 1));
    JsonObject err = last.getJsonObject("error");
    assertTrue(err != null, "the error event is the last one: " + body);
    for (String key : new String[] {"message", "type", "param", "code"}) {
      assertTrue(err.containsKey(key), "OpenAI error shape has " + key + ": " + err.encode());
    }
    return err;
  }

  @Test
  void aStallMidStreamHitsTheIdleDeadline() {
    Wire.Reader r = open(chat(true, 50), "x-sim-fault", "stall-mid", "x-sim-fault-after", "3");
    String body = r.awaitEnd();
    assertEquals(3, Wire.joined(body, "content").split(" ").length, "the tokens before the stall arrived: " + body);
    JsonObject err = endsWithOneErrorEvent(body);
    assertEquals("upstream_timeout", err.getString("code"));
    assertTrue(err.getString("message").contains("idle"), err.encode());
    SimStats s = gw.sim("main-1").stats();
    Wire.await("the stalled upstream was closed " + s + " " + body, 2_000, () -> s.aborted() == 1);
    assertEquals(1, s.requests());
    outcomes.expect("timeout", 1);
  }

  @Test
  void aStreamStillGoingAtTheTotalDeadlineIsCut() {
    Wire.Reader r = open(chat(true, 100_000), "x-tiergate-tier", "short", "x-sim-decode-tps", "50");
    String body = r.awaitEnd();
    assertTrue(Wire.joined(body, "content").split(" ").length > 3, "tokens flowed until the deadline: " + body);
    JsonObject err = endsWithOneErrorEvent(body);
    assertEquals("upstream_timeout", err.getString("code"));
    assertTrue(err.getString("message").contains("total"), err.encode());
    SimStats s = gw.sim("short-1").stats();
    Wire.await("the upstream was closed", 2_000, () -> s.aborted() == 1 && s.activeStreams() == 0);
    outcomes.expect("timeout", 1);
  }

  @Test
  void aDroppedConnectionEndsTheStreamWithAnErrorWithinASecond() {
    Wire.Reader r = open(chat(true, 50), "x-sim-fault", "drop-mid", "x-sim-fault-after", "3");
    String body = r.awaitEnd();
    JsonObject err = endsWithOneErrorEvent(body);
    assertEquals("upstream_error", err.getString("code"));
    long lastToken = r.arrivalOf(" " + Wire.joined(body, "content").substring(Wire.joined(body, "content").lastIndexOf(' ') + 1));
    long errorAt = r.arrivalOf("\"error\"");
    long ms = (errorAt - lastToken) / 1_000_000;
    assertTrue(lastToken > 0 && errorAt > 0 && ms < 1000, "error event " + ms + " ms after the drop");
    assertEquals(3, Wire.joined(body, "content").split(" ").length, body);
    assertEquals(1, gw.sim("main-1").stats().requests());
    outcomes.expect("upstream_error", 1);
  }

  @Test
  void aStreamThatEndsWithoutDoneGetsAnErrorEvent() {
    Wire.Reader r = open(chat(true, 5), "x-sim-fault", "no-done");
    String body = r.awaitEnd();
    assertEquals(5, Wire.joined(body, "content").split(" ").length, "every token arrived: " + body);
    assertEquals("length", Wire.finishReason(body));
    JsonObject err = endsWithOneErrorEvent(body);
    assertTrue(err.getString("message").contains("[DONE]"), err.encode());
    assertEquals("upstream_error", err.getString("code"), "an upstream fault, not an internal one: " + err.encode());
    Wire.await("the backend finished", 2_000, () -> gw.sim("main-1").stats().completed() == 1);
    outcomes.expect("upstream_error", 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "llama"})
  void anEngineErrorMidStreamReachesTheClientAndCountsAsAFailure(String tier) {
    Wire.Reader r = open(chat(true, 50), "x-tiergate-tier", tier, "x-sim-fault", "error-mid", "x-sim-fault-after", "3");
    String body = r.awaitEnd();
    JsonObject err = endsWithOneErrorEvent(body);
    assertTrue(err.getString("message").contains("mid-stream"), "the engine's own error, re-wrapped: " + body);
    assertEquals("upstream_error", err.getString("code"), body);
    assertEquals(3, Wire.joined(body, "content").split(" ").length, body);
    SimStats s = gw.sim(tier + "-1").stats();
    assertEquals(1, s.requests());
    outcomes.expect("upstream_error", 1);
  }

  @Test
  void aClientLeavingMidStreamAbortsTheUpstreamWithin100Ms() {
    SimStats s = gw.sim("main-1").stats();
    Wire.Reader r = open(chat(true, 100_000), "x-sim-decode-tps", "50");
    r.awaitText("\"content\":\"", 5_000);
    assertEquals(1, s.activeStreams());
    long closed = r.closeConnection();
    Wire.await("the backend saw the abort", 2_000, () -> s.aborted() == 1);
    long ms = (s.lastAbortNanos() - closed) / 1_000_000;
    assertTrue(ms <= 100, "upstream aborted " + ms + " ms after the client left");
    outcomes.expect("cancelled", 1);
  }

  @Test
  void aClientLeavingANonStreamedRequestAbortsTheUpstreamWithin100Ms() {
    leaveMidRequest("x-sim-decode-tps", "50", chat(false, 100_000), "the backend is generating");
  }

  @Test
  void aClientLeavingBeforeTheFirstTokenAbortsTheUpstreamWithin100Ms() {
    leaveMidRequest("x-sim-fault", "stall-first", chat(true, 10), "the backend holds the request");
  }

  /** Sends a request, closes the client's connection while the backend works, and times the abort. */
  private void leaveMidRequest(String header, String value, String body, String working) {
    SimStats s = gw.sim("main-1").stats();
    var req = TestGateway.await(gw.onLoop(() -> gw.client().request(new io.vertx.core.http.RequestOptions()
        .setMethod(io.vertx.core.http.HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
        .setURI("/v1/chat/completions").putHeader("content-type", "application/json")
        .putHeader(header, value))));
    gw.onLoop(() -> req.send(body));
    Wire.await(working, 5_000, () -> s.activeStreams() == 1);
    long closed = System.nanoTime();
    req.connection().close();
    Wire.await("the backend saw the abort", 2_000, () -> s.aborted() == 1);
    long ms = (s.lastAbortNanos() - closed) / 1_000_000;
    assertTrue(ms <= 100, "upstream aborted " + ms + " ms after the client left");
    outcomes.expect("cancelled", 1);
  }
}
