package dev.tiergate.api;

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
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Routing over the wire, bad input, disconnects and dead backends, against simulated tiers. */
@ExtendWith(BlockedLoopGuard.class)
class GatewayBehaviourTest {
  static TestGateway gw;
  /** ghost-1's port: refuses connections for the whole class. */
  static DeadPort dead;

  @BeforeAll
  static void start() throws Exception {
    dead = DeadPort.reserve();
    SimOptions fast = SimOptions.defaults("vllm").withTtftBaseMs(2).withPrefillTps(2_000_000).withDecodeTps(1000)
        .withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("fast-1", fast.withModel("m-int4").withContextWindow(262144))
        .sim("max-1", fast.withModel("m-fp8").withContextWindow(131072))
        .sim("prefill-1", fast.withEngine("sglang").withModel("m-w8a8").withContextWindow(131072))
        .config("""
            server: { port: 0, instances: 2, maxBodyBytes: 2000000 }
            routing:
              defaultTier: fast
              rules: [{ name: long-prompt, when: { promptTokensAtLeast: 8192 }, tier: prefill }]
              aliases: { big-brain: max }
            tiers:
              - name: fast
                fallback: [max]
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m-int4, contextWindow: 262144 }]
              - name: max
                fallback: [fast]
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m-fp8, contextWindow: 131072 }]
              - name: prefill
                fallback: [max, fast]
                backends: [{ name: prefill-1, url: "${SIM_PREFILL_1}", engine: sglang, model: m-w8a8, contextWindow: 131072 }]
              - name: ghost
                fallback: [fast]
                backends: [{ name: ghost-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
            """.formatted(dead.port()))
        .start();
    // First requests load classes for hundreds of ms; keep that out of the blocked-loop guard's window.
    Wire.warmUp(gw, "fast");
  }

  @AfterAll
  static void stop() {
    gw.close();
    dead.close();
  }

  static String chat(String content, String extra) {
    return "{\"model\":\"qwen\",\"max_tokens\":4" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "short|||fast|default",
      "long|||prefill|rule:long-prompt",
      "short|x-tiergate-tier|max|max|hint:header",
      "long|x-tiergate-tier|fast|fast|hint:header",
      "short|x-tiergate-tier|auto|fast|default",
  })
  void routesOverTheWire(String size, String header, String value, String tier, String reason) {
    String content = size.equals("long") ? "word ".repeat(16000) : "hello";
    TestGateway.Reply r = header == null
        ? gw.post("/v1/chat/completions", chat(content, ""))
        : gw.post("/v1/chat/completions", chat(content, ""), header, value);
    assertEquals(200, r.status(), r.body());
    assertEquals(tier, r.header("x-tiergate-tier"));
    assertEquals(reason, r.header("x-tiergate-reason"));
  }

  @Test
  void aModelAliasPicksATierAndIsEchoedBack() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat("hi", "").replace("\"qwen\"", "\"tiergate/max\""));
    assertEquals("max", r.header("x-tiergate-tier"));
    assertEquals("hint:model", r.header("x-tiergate-reason"));
    assertEquals("tiergate/max", new JsonObject(r.body()).getString("model"));
    assertEquals("m-fp8", new JsonObject(gw.sim("max-1").stats().lastRequestBody()).getString("model"));
    assertEquals("max", gw.post("/v1/chat/completions", chat("hi", "").replace("\"qwen\"", "\"big-brain\"")).header("x-tiergate-tier"));
  }

  @Test
  void aBackendTheProbeSawDeadIsSkippedForItsFallback() {
    BackendState ghost = gw.gateway().services().fleet().get("ghost-1");
    Wire.await("the first probe saw ghost-1 down", 5_000, () -> ghost.health() == BackendState.Health.DOWN);
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat("hi", ",\"stream\":true"), "x-tiergate-tier", "ghost");
    assertEquals(200, r.status(), r.body());
    assertEquals("fast", r.header("x-tiergate-tier"));
    assertEquals("fallback:ghost-down", r.header("x-tiergate-reason"));
    assertNull(r.header("x-tiergate-failed"), "a backend known to be down is not even tried");
    assertTrue(r.body().endsWith("data: [DONE]\n\n"));
  }

  @Test
  void strictHintOnADeadTierIs503WithRetryAfter() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat("hi", ""), "x-tiergate-tier", "ghost", "x-tiergate-strict", "true");
    assertEquals(503, r.status(), r.body());
    assertNotNull(r.header("retry-after"));
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertTrue(err.getString("message").contains("ghost"), err.encode());
  }

  @Test
  void promptTooLongForEveryTierIsContextLengthExceeded() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat("word ".repeat(16000), "").replace("\"max_tokens\":4", "\"max_tokens\":260000"));
    assertEquals(400, r.status());
    assertEquals("context_length_exceeded", new JsonObject(r.body()).getJsonObject("error").getString("code"));
  }

  @Test
  void tooLongForTheRuleTierFallsToTheLargestWindow() {
    TestGateway.Reply ok = gw.post("/v1/chat/completions", chat("w ".repeat(300000), ""));
    assertEquals(200, ok.status(), ok.body());
    assertEquals("fast", ok.header("x-tiergate-tier"));
    assertEquals("fallback:prefill-context", ok.header("x-tiergate-reason"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "/v1/chat/completions|application/json|{oops|400|invalid_request_error",
      "/v1/chat/completions|application/json|{\"messages\":{}}|400|invalid_request_error",
      "/v1/chat/completions|text/plain|{}|415|invalid_request_error",
      "/v1/completions|application/json|{\"model\":\"m\"}|400|invalid_request_error",
      "/v1/nothing|application/json|{}|404|invalid_request_error",
      "/v1/chat/completions|application/json||400|invalid_request_error",
  })
  void badInputGetsAnOpenAiError(String path, String type, String body, int status, String errType) {
    io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.POST)
        .setHost("127.0.0.1").setPort(gw.port()).setURI(path).putHeader("content-type", type);
    TestGateway.Reply r = TestGateway.await(gw.onLoop(() -> gw.client().request(o).compose(req -> req.send(body == null ? "" : body)
        .compose(resp -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(), b.toString()))))));
    assertEquals(status, r.status(), r.body());
    assertEquals(errType, new JsonObject(r.body()).getJsonObject("error").getString("type"));
  }

  @Test
  void oversizedBodyIs413() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat("x".repeat(2_100_000), ""));
    assertEquals(413, r.status());
    assertEquals("payload_too_large", new JsonObject(r.body()).getJsonObject("error").getString("code"));
  }

  @Test
  void clientDisconnectMidStreamAbortsTheUpstream() throws Exception {
    var sim = gw.sim("max-1");
    sim.stats().reset();
    Promise<Void> gotData = Promise.promise();
    HttpClientResponse resp = TestGateway.await(gw.open("/v1/chat/completions",
        chat("hi", ",\"stream\":true").replace("\"max_tokens\":4", "\"max_tokens\":100000"),
        "x-tiergate-tier", "max", "x-sim-decode-tps", "50"));
    resp.handler(b -> gotData.tryComplete());
    TestGateway.await(gotData.future());
    assertEquals(1, sim.stats().activeStreams());
    long closed = System.nanoTime();
    resp.request().connection().close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (sim.stats().aborted() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(1, sim.stats().aborted(), "the sim saw the upstream request aborted");
    long waitedMs = (sim.stats().lastAbortNanos() - closed) / 1_000_000;
    assertTrue(waitedMs < 1000, "aborted " + waitedMs + " ms after the client left");
    BackendState state = gw.gateway().services().fleet().get("max-1");
    while (state.inflight() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, state.inflight(), "in-flight count returns to zero");
  }
}
