package dev.tiergate.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.Engines;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tier swaps with real engine processes (simulator JVMs the gateway starts and stops): requests
 * that need a tier that is not live wait and are answered after the swap, in order; the thrash
 * guard holds; failed starts answer with the reason and bring the previous tier back; a crashed
 * engine is restarted.
 */
@ExtendWith(BlockedLoopGuard.class)
class SwapTest {
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  /** A group of process tiers: each name gets a sim child on its own port; {@code lifecycles} overrides per tier. */
  static String config(String group, String[] tiers, int[] ports, String... lifecycles) {
    StringBuilder sb = new StringBuilder("""
        health: { intervalMs: 200, timeoutMs: 500 }
        routing: { defaultTier: %s }
        groups:
          - %s
        tiers:
        """.formatted(tiers[0], group));
    for (int i = 0; i < tiers.length; i++) {
      String lc = i < lifecycles.length && lifecycles[i] != null ? lifecycles[i]
          : "{ process: { command: " + Engines.yaml(Engines.sim(ports[i], "m", 0.3)) + ", stopGraceMs: 3000 }, readyTimeoutMs: 30000 }";
      sb.append("""
            - name: %1$s
              lifecycle: %2$s
              backends: [{ name: %1$s-1, url: "http://127.0.0.1:%3$d", engine: vllm, model: m, contextWindow: 32768 }]
          """.formatted(tiers[i], lc, ports[i]));
    }
    return sb.toString();
  }

  /**
   * One swap before the tests, outside the blocked-loop guard: the first swap loads the lifecycle's,
   * the HTTP client's and Jackson's classes on an event loop, which is a one-time cost of the JVM.
   */
  /** Every engine a test's gateway started is gone once the gateway is: none outlives its tier's owner. */
  @AfterEach
  void noEngineOutlivesItsGateway() {
    Wire.await("no engine process outlives its gateway: " + ProcessHandle.current().descendants().map(ProcessHandle::pid).toList(),
        15_000, () -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive));
  }

  @BeforeAll
  static void warmUp() {
    int[] ports = {Engines.port(), Engines.port()};
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max], home: fast }", new String[] {"fast", "max"}, ports)).start()) {
      awaitLive(gw, "fast");
      gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
      gw.post("/v1/chat/completions", CHAT.replace("}", ",\"stream\":true}"));
      gw.get("/metrics");
    }
  }

  static JsonObject group(TestGateway gw) {
    TestGateway.Reply r = gw.get("/tiergate/status");
    assertEquals(200, r.status(), r.body());
    JsonArray groups = new JsonObject(r.body()).getJsonArray("groups");
    assertNotNull(groups, r.body());
    return groups.getJsonObject(0);
  }

  static void awaitLive(TestGateway gw, String tier) {
    Wire.await("tier " + tier + " is live", 30_000, () -> {
      JsonObject g = group(gw);
      return tier.equals(g.getString("live")) && "live".equals(g.getString("state"));
    });
  }

  static Future<TestGateway.Reply> send(TestGateway gw, String json, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
        .setURI("/v1/chat/completions").putHeader("content-type", "application/json");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    return gw.onLoop(() -> gw.client().request(o).compose(req -> req.send(Buffer.buffer(json)))
        .compose((HttpClientResponse resp) -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(),
            b.toString()))));
  }

  @Test
  void strictRequestsWaitThroughTheSwapAndAreAllAnsweredByTheNewTier() {
    int[] ports = {Engines.port(), Engines.port()};
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max], home: fast, maxWaitMs: 60000, drainMs: 2000 }",
        new String[] {"fast", "max"}, ports)).start()) {
      awaitLive(gw, "fast");
      assertEquals("fast", gw.post("/v1/chat/completions", CHAT).header("x-tiergate-tier"));
      TestGateway.Reply nonStrict = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max");
      assertEquals(200, nonStrict.status());
      assertEquals("fast", nonStrict.header("x-tiergate-tier"), "serveLive: answered now by the live tier");
      assertEquals("fallback:max-swapped-out", nonStrict.header("x-tiergate-reason"));

      List<Future<TestGateway.Reply>> waiting = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        waiting.add(send(gw, CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true"));
      }
      Wire.await("the swap to max began", 10_000, () -> group(gw).getJsonObject("swapping") != null
          || "max".equals(group(gw).getString("live")));
      for (Future<TestGateway.Reply> f : waiting) {
        TestGateway.Reply r = TestGateway.await(f);
        assertEquals(200, r.status(), r.body());
        assertEquals("max", r.header("x-tiergate-tier"));
        assertEquals("swap:fast->max", r.header("x-tiergate-reason"));
        assertTrue(Long.parseLong(r.header("x-tiergate-waited-ms")) > 0, "the wait is reported");
      }
      JsonObject g = group(gw);
      assertEquals("max", g.getString("live"));
      JsonObject swap = g.getJsonArray("lastSwaps").getJsonObject(0);
      assertEquals("fast", swap.getString("from"));
      assertEquals("ok", swap.getString("outcome"));
      assertTrue(swap.getJsonObject("phasesMs").containsKey("drain") && swap.getJsonObject("phasesMs").containsKey("boot"),
          swap.encode());
      String metrics = gw.get("/metrics").body();
      assertTrue(metrics.contains("tiergate_swaps_total{from_tier=\"fast\",group=\"gpus\",outcome=\"ok\",to_tier=\"max\"} 1.0"),
          metrics);
      assertTrue(metrics.contains("tiergate_tier_live{tier=\"max\"} 1.0"), metrics);
      assertTrue(metrics.contains("tiergate_swap_queue_wait_seconds_count{tier=\"max\"} 5"), metrics);
    }
  }

  @Test
  void theThrashGuardKeepsANewlyLiveTierForMinLiveMs() {
    int[] ports = {Engines.port(), Engines.port()};
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max], home: fast, minLiveMs: 3000, maxWaitMs: 60000 }",
        new String[] {"fast", "max"}, ports)).start()) {
      awaitLive(gw, "fast");
      TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
      assertEquals("max", r.header("x-tiergate-tier"), r.body());
      JsonArray swaps = group(gw).getJsonArray("lastSwaps");
      JsonObject toMax = swaps.getJsonObject(0);
      JsonObject toFast = swaps.getJsonObject(1);
      Instant fastLive = Instant.parse(toFast.getString("startedAt")).plusMillis(toFast.getLong("totalMs"));
      Instant maxBegan = Instant.parse(toMax.getString("startedAt"));
      long gap = Duration.between(fastLive, maxBegan).toMillis();
      assertTrue(gap >= 2_900, "the swap away from fast began " + gap + " ms after it went live, inside minLiveMs");
    }
  }

  @Test
  void aStartCommandThatFailsAnswersWithItsReasonAndKeepsThePreviousTier() {
    int[] ports = {Engines.port(), Engines.port()};
    String failing = "{ commands: { start: [sh, -c, 'echo the GPU is on fire; exit 1'], stop: [true] }, readyTimeoutMs: 5000 }";
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, broken], home: fast, maxWaitMs: 30000 }",
        new String[] {"fast", "broken"}, ports, null, failing)).start()) {
      awaitLive(gw, "fast");
      TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "broken", "x-tiergate-strict", "true");
      assertEquals(503, r.status(), r.body());
      String message = new JsonObject(r.body()).getJsonObject("error").getString("message");
      assertTrue(message.contains("exited with status 1") && message.contains("the GPU is on fire"), message);
      assertNotNull(r.header("retry-after"));
      awaitLive(gw, "fast");
      assertEquals("fast", gw.post("/v1/chat/completions", CHAT).header("x-tiergate-tier"), "the previous tier serves again");
      JsonObject broken = group(gw).getJsonArray("tiers").getJsonObject(1);
      assertTrue(broken.getJsonObject("failed").getString("reason").contains("exited with status 1"), broken.encode());

      // Backed off: the next request is answered at once with the same reason, no second start.
      TestGateway.Reply again = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "broken", "x-tiergate-strict", "true");
      assertEquals(503, again.status());
      assertEquals(1, group(gw).getJsonArray("lastSwaps").stream().filter(s -> "broken".equals(((JsonObject) s).getString("to")))
          .count(), "one failed start of broken, not a second one on the next request");
    }
  }

  @Test
  void anEngineThatNeverBecomesReadyTimesOutAndThePreviousTierComesBack() {
    int[] ports = {Engines.port(), Engines.port()};
    // A process that runs but never listens: the engine's ready signal never comes.
    String silent = "{ process: { command: [sleep, '60'], stopGraceMs: 1000 }, readyTimeoutMs: 1500 }";
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, never], home: fast, maxWaitMs: 30000 }",
        new String[] {"fast", "never"}, ports, null, silent)).start()) {
      awaitLive(gw, "fast");
      TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "never", "x-tiergate-strict", "true");
      assertEquals(503, r.status(), r.body());
      assertTrue(r.body().contains("not ready within readyTimeoutMs"), r.body());
      awaitLive(gw, "fast");
      JsonObject never = group(gw).getJsonArray("tiers").getJsonObject(1);
      assertEquals("stopped", never.getString("state"));
      assertTrue(!never.containsKey("pid"), "the half-started process was stopped: " + never.encode());
    }
  }

  @Test
  void aCrashedEngineIsRestartedAndServesAgain() throws Exception {
    int[] ports = {Engines.port(), Engines.port()};
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max], home: fast }", new String[] {"fast", "max"}, ports)).start()) {
      awaitLive(gw, "fast");
      long pid = group(gw).getJsonArray("tiers").getJsonObject(0).getLong("pid");
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      Wire.await("a new engine process", 30_000, () -> {
        Long now = group(gw).getJsonArray("tiers").getJsonObject(0).getLong("pid");
        return now != null && now != pid;
      });
      Wire.await("fast serves again", 30_000, () -> gw.post("/v1/chat/completions", CHAT).status() == 200);
      assertNotEquals(pid, group(gw).getJsonArray("tiers").getJsonObject(0).getLong("pid"));
      assertTrue(group(gw).getJsonArray("tiers").getJsonObject(0).getJsonArray("log").encode().contains("exited with status"));
    }
  }

  @Test
  void requestsForTwoDifferentTiersAreAnsweredInArrivalOrder() {
    int[] ports = {Engines.port(), Engines.port(), Engines.port()};
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max, prefill], home: fast, maxWaitMs: 60000 }",
        new String[] {"fast", "max", "prefill"}, ports)).start()) {
      awaitLive(gw, "fast");
      Future<TestGateway.Reply> max = send(gw, CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
      Wire.await("the max request is queued", 5_000, () -> group(gw).getInteger("queue") == 1
          || group(gw).getJsonObject("swapping") != null);
      Future<TestGateway.Reply> prefill = send(gw, CHAT, "x-tiergate-tier", "prefill", "x-tiergate-strict", "true");
      TestGateway.Reply first = TestGateway.await(max);
      TestGateway.Reply second = TestGateway.await(prefill);
      assertEquals("max", first.header("x-tiergate-tier"), first.body());
      assertEquals("prefill", second.header("x-tiergate-tier"), second.body());
      assertEquals("swap:fast->prefill", second.header("x-tiergate-reason"), "it waited behind the swap to max");
      assertTrue(Long.parseLong(second.header("x-tiergate-waited-ms")) >= Long.parseLong(first.header("x-tiergate-waited-ms")));
    }
  }

  @Test
  void aClientThatLeavesWhileWaitingLeavesTheQueueAndAFullQueueIs429() {
    int[] ports = {Engines.port(), Engines.port()};
    String slow = "{ process: { command: " + Engines.yaml(Engines.sim(ports[1], "m", 4)) + " }, readyTimeoutMs: 30000 }";
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max], home: fast, maxQueue: 1, maxWaitMs: 60000 }",
        new String[] {"fast", "max"}, ports, null, slow)).start()) {
      awaitLive(gw, "fast");
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
          .setURI("/v1/chat/completions").putHeader("content-type", "application/json")
          .putHeader("x-tiergate-tier", "max").putHeader("x-tiergate-strict", "true");
      HttpClientRequest waiting = TestGateway.await(gw.onLoop(() -> gw.client().request(o)));
      gw.onLoop(() -> waiting.send(Buffer.buffer(CHAT)));
      Wire.await("one request waits", 5_000, () -> group(gw).getInteger("queue") == 1);
      TestGateway.Reply full = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
      assertEquals(429, full.status(), full.body());
      assertEquals("rate_limit_exceeded", new JsonObject(full.body()).getJsonObject("error").getString("code"));
      assertNotNull(full.header("retry-after"));
      TestGateway.await(gw.onLoop(() -> waiting.connection().close()));
      Wire.await("the queue is empty once the client left", 2_000, () -> group(gw).getInteger("queue") == 0);
    }
  }

  @Test
  void aWaitLongerThanMaxWaitMsIs503WithRetryAfter() {
    int[] ports = {Engines.port(), Engines.port()};
    String slow = "{ process: { command: " + Engines.yaml(Engines.sim(ports[1], "m", 5)) + " }, readyTimeoutMs: 30000 }";
    try (TestGateway gw = TestGateway.builder().config(config(
        "{ name: gpus, tiers: [fast, max], home: fast, maxWaitMs: 500 }",
        new String[] {"fast", "max"}, ports, null, slow)).start()) {
      awaitLive(gw, "fast");
      TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
      assertEquals(503, r.status(), r.body());
      assertTrue(r.body().contains("did not become live within maxWaitMs"), r.body());
      assertTrue(Long.parseLong(r.header("retry-after")) >= 1);
    }
  }
}
