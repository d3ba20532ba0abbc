package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState;
import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Answers that must be right, not just quick: a prompt that fits nowhere is the client's 400 even
 * when a tier of unknown size is down; every answer carries a request id and, when everything
 * failed, names the last backend tried; an old error leaves status once the backend recovers; a
 * strict request that fails upstream says when to retry; the output reserve counts only when the
 * client set no max_tokens.
 */
@ExtendWith(BlockedLoopGuard.class)
class VerdictsTest {
  static final SimOptions SIM = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(10_000_000)
      .withDecodeTps(5_000).withDenseBatching(false).withContextWindow(262144);
  /** Bound but not listening: connections to its port are refused, and no one else can take the port. */
  static Socket refusing;
  static TestGateway gw;

  @BeforeAll
  static void start() throws IOException {
    JvmWarmUp.once();
    refusing = new Socket();
    refusing.bind(new InetSocketAddress("127.0.0.1", 0));
    gw = TestGateway.builder()
        .sim("live-1", SIM)
        .sim("gone-1", SIM)
        .sim("busy-1", SIM.withFault("error-503"))
        .sim("flaky-1", SIM)
        .sim("e500-1", SIM.withFault("error-500"))
        .sim("stall-1", SIM.withFault("stall-first"))
        .config("""
            server: { port: 0, instances: 2, maxBodyBytes: 100000 }
            health: { intervalMs: 600000, timeoutMs: 5000, failureThreshold: 1, cooldownMs: 300 }
            routing: { defaultTier: live, outputReserveTokens: 300 }
            tiers:
              - name: live
                fallback: [dark]
                backends: [{ name: live-1, url: "${SIM_LIVE_1}", engine: vllm, model: m, contextWindow: 1000 }]
              - name: dark
                fallback: []
                backends: [{ name: dark-1, url: "http://127.0.0.1:%1$d", engine: vllm, model: m }]
              - name: live2
                fallback: [bigdark]
                backends: [{ name: live2-1, url: "${SIM_LIVE_1}", engine: vllm, model: m, contextWindow: 1000 }]
              - name: bigdark
                fallback: []
                backends: [{ name: bigdark-1, url: "http://127.0.0.1:%1$d", engine: vllm, model: m, contextWindow: 100000 }]
              - name: large
                fallback: []
                backends: [{ name: large-1, url: "${SIM_LIVE_1}", engine: vllm, model: m, contextWindow: 100000 }]
              - name: small
                fallback: [large]
                backends: [{ name: small-1, url: "${SIM_LIVE_1}", engine: vllm, model: m, contextWindow: 1000 }]
              - name: gone
                fallback: [busy]
                backends: [{ name: gone-1, url: "${SIM_GONE_1}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: busy
                fallback: []
                backends: [{ name: busy-1, url: "${SIM_BUSY_1}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: flaky
                fallback: [large]
                backends: [{ name: flaky-1, url: "${SIM_FLAKY_1}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: e500
                fallback: [large]
                backends: [{ name: e500-1, url: "${SIM_E500_1}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: stall
                fallback: [large]
                timeouts: { connectMs: 200, ttftMs: 400 }
                backends: [{ name: stall-1, url: "${SIM_STALL_1}", engine: vllm, model: m, contextWindow: 32768 }]
            """.formatted(refusing.getLocalPort()))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes finished", 15_000, () -> fleet.get("dark-1").health() == Health.DOWN
        && fleet.get("bigdark-1").health() == Health.DOWN && fleet.get("gone-1").health() == Health.READY
        && fleet.get("flaky-1").health() == Health.READY && fleet.get("live-1").health() == Health.READY);
    // gone-1 was seen ready; from now on it refuses connections, and no probe runs to notice.
    TestGateway.await(gw.sim("gone-1").close());
  }

  @AfterAll
  static void stop() throws IOException {
    gw.close();
    refusing.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  /** A chat whose prompt the gateway estimates at {@code chars / 4 + 4} tokens. */
  static String chat(int chars, Integer maxTokens) {
    return "{\"model\":\"m\"" + (maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens)
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + "w".repeat(chars) + "\"}]}";
  }

  @Test
  void aPromptThatFitsNoKnownWindowIs400EvenWhileATierOfUnknownSizeIsDown() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(8000, 10));
    assertEquals(400, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("context_length_exceeded", err.getString("code"), r.body());
    assertEquals("messages", err.getString("param"));
    assertNull(r.header("retry-after"), "nothing to wait for: it will never fit");

    // The contrast: a down tier known to hold the prompt makes it a 503 worth retrying.
    TestGateway.Reply later = gw.post("/v1/chat/completions", chat(8000, 10), "x-tiergate-tier", "live2");
    assertEquals(503, later.status(), later.body());
    assertEquals("no_backend_available", new JsonObject(later.body()).getJsonObject("error").getString("code"));
    assertNotNull(later.header("retry-after"));
  }

  @Test
  void theOutputReserveCountsOnlyWhenMaxTokensIsAbsent() {
    // 3200 characters ≈ 804 tokens: with the 300-token reserve it does not fit the 1000-token tier.
    TestGateway.Reply reserve = gw.post("/v1/chat/completions", chat(3200, null), "x-tiergate-tier", "small");
    assertEquals(200, reserve.status(), reserve.body());
    assertEquals("804", reserve.header("x-tiergate-prompt-tokens"));
    assertEquals("large", reserve.header("x-tiergate-tier"));
    assertEquals("fallback:small-context", reserve.header("x-tiergate-reason"));
    // max_tokens 150 (less than the reserve): 954 fits, and the reserve is not added.
    TestGateway.Reply given = gw.post("/v1/chat/completions", chat(3200, 150), "x-tiergate-tier", "small");
    assertEquals(200, given.status(), given.body());
    assertEquals("small", given.header("x-tiergate-tier"));
    assertEquals("hint:header", given.header("x-tiergate-reason"));
    TestGateway.Reply tooMuch = gw.post("/v1/chat/completions", chat(3200, 250), "x-tiergate-tier", "small");
    assertEquals("large", tooMuch.header("x-tiergate-tier"), "1054 does not fit either");
  }

  static TestGateway.Reply send(HttpMethod method, String path, String contentType, String body, String... headers) {
    io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(gw.port()).setURI(path);
    if (contentType != null) {
      o.putHeader("content-type", contentType);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    return TestGateway.await(gw.onLoop(() -> gw.client().request(o).compose(req -> req.send(body)
        .compose(resp -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(), b.toString()))))));
  }

  @Test
  void everyAnswerCarriesARequestIdAndASaneClientIdIsKept() {
    TestGateway.Reply[] errors = {
        send(HttpMethod.POST, "/v1/chat/completions", "application/json", "{oops"),
        send(HttpMethod.POST, "/v1/nowhere", "application/json", "{}"),
        send(HttpMethod.GET, "/v1/chat/completions", null, ""),
        send(HttpMethod.POST, "/v1/chat/completions", "text/plain", "{}"),
        send(HttpMethod.POST, "/v1/chat/completions", "application/json", chat(150_000, 1)),
        send(HttpMethod.GET, "/health", null, ""),
    };
    int[] statuses = {400, 404, 405, 415, 413, 200};
    for (int i = 0; i < errors.length; i++) {
      assertEquals(statuses[i], errors[i].status(), errors[i].body());
      assertNotNull(errors[i].header("x-tiergate-request-id"), "status " + statuses[i]);
    }
    assertNotEquals(errors[0].header("x-tiergate-request-id"), errors[1].header("x-tiergate-request-id"));
    assertEquals("trace-abc.123:x", send(HttpMethod.POST, "/v1/chat/completions", "application/json", "{oops",
        "x-request-id", "trace-abc.123:x").header("x-tiergate-request-id"));
    for (String insane : new String[] {"has space", "x".repeat(65), "quote\"d", "a/b"}) {
      String id = send(HttpMethod.GET, "/health", null, "", "x-request-id", insane).header("x-tiergate-request-id");
      assertNotNull(id);
      assertNotEquals(insane, id, "an id unfit for logs is replaced");
    }
  }

  @Test
  void whenEveryAttemptFailsTheLastBackendTriedIsNamedAndCounted() {
    long before = Wire.outcome(gw, "busy-1", "upstream_error");
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(10, 3), "x-tiergate-tier", "gone");
    assertEquals(503, r.status(), r.body());
    assertEquals("gone-1:connect_failure,busy-1:server_error", r.header("x-tiergate-failed"));
    assertEquals("busy-1", r.header("x-tiergate-backend"), "the last backend tried");
    assertEquals("busy", r.header("x-tiergate-tier"));
    Wire.await("counted against the last backend tried", 5_000, () -> Wire.outcome(gw, "busy-1", "upstream_error") == before + 1);
  }

  @Test
  void lastErrorIsClearedOnceTheBackendServesAgain() {
    BackendState flaky = gw.gateway().services().fleet().get("flaky-1");
    int port = gw.sim("flaky-1").port();
    TestGateway.await(gw.sim("flaky-1").close());
    TestGateway.Reply failed = gw.post("/v1/chat/completions", chat(10, 3), "x-tiergate-tier", "flaky");
    // Refused (connect_failure), or, when the request met a pooled connection the closing sim had not yet
    // reset, cut (server_error): either way the backend failed and the status must say which.
    String verdict = failed.header("x-tiergate-failed");
    assertTrue("flaky-1:connect_failure".equals(verdict) || "flaky-1:server_error".equals(verdict), verdict);
    JsonObject open = GatewayState.backend(gw, "flaky-1");
    assertEquals("open", open.getString("circuit"), open.encode());
    assertEquals(verdict.substring("flaky-1:".length()), open.getString("lastError"), open.encode());

    SimServer back = TestGateway.await(SimServer.start(gw.vertx(), SIM.withPort(port)));
    Wire.await("the cool-down passed", 3_000, () -> "half-open".equals(flaky.circuit(System.nanoTime())));
    TestGateway.Reply ok = gw.post("/v1/chat/completions", chat(10, 3), "x-tiergate-tier", "flaky");
    assertEquals("flaky-1", ok.header("x-tiergate-backend"), ok.body());
    assertEquals(1, back.stats().requests());
    JsonObject recovered = GatewayState.backend(gw, "flaky-1");
    assertEquals("closed", recovered.getString("circuit"), recovered.encode());
    assertNull(recovered.getValue("lastError"), "an old error would only mislead: " + recovered.encode());
  }

  @Test
  void aStrictRequestThatFailsUpstreamSaysWhenToRetry() {
    TestGateway.Reply e500 = gw.post("/v1/chat/completions", chat(10, 3), "x-tiergate-tier", "e500", "x-tiergate-strict", "true");
    assertEquals(502, e500.status(), e500.body());
    assertNotNull(e500.header("retry-after"), e500.headers().toString());
    assertEquals("e500-1:engine_error", e500.header("x-tiergate-failed"));
    TestGateway.Reply stall = gw.post("/v1/chat/completions", chat(10, 3), "x-tiergate-tier", "stall", "x-tiergate-strict", "true");
    assertEquals(504, stall.status(), stall.body());
    assertNotNull(stall.header("retry-after"), stall.headers().toString());
    assertEquals("stall-1:timeout", stall.header("x-tiergate-failed"));
    assertTrue(Long.parseLong(stall.header("retry-after")) >= 1);
  }
}
