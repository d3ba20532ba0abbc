package dev.tiergate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimStats;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Admission control on simulators: a long prompt is held back from a backend while an interactive
 * stream decodes there, and starts when that stream ends; it can leave the queue, be refused by a
 * full one, time out in it, or go to another tier that can take it now.
 */
@ExtendWith(BlockedLoopGuard.class)
class AdmissionEndToEndTest {
  /** ≈ 6000 tokens by the gateway's estimate: far over the 2000-token line below. */
  static final String LONG = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\""
      + "lorem ipsum ".repeat(2500) + "\"}]}";

  @BeforeAll
  static void warmJvm() {
    JvmWarmUp.once();
  }

  static String chat(int maxTokens) {
    return "{\"model\":\"m\",\"stream\":true,\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static SimOptions sim() {
    return SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000).withDecodeTps(20)
        .withDenseBatching(false);
  }

  static TestGateway gateway(String admission) {
    TestGateway gw = TestGateway.builder()
        .sim("fast-1", sim())
        .sim("prefill-1", sim())
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                admission: %s
                fallback: []
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: prefill
                backends: [{ name: prefill-1, url: "${SIM_PREFILL_1}", engine: vllm, model: m }]
            """.formatted(admission))
        .start();
    Wire.warmUp(gw, "fast", "prefill");
    return gw;
  }

  static double queueLength(TestGateway gw, String backend) {
    Gauge g = gw.gateway().services().metrics().registry().find("tiergate_queue_length").tag("backend", backend).gauge();
    assertNotNull(g, "tiergate_queue_length{backend=" + backend + "} is registered");
    return g.value();
  }

  static long queueWaits(TestGateway gw, String tier, String priority) {
    Timer t = gw.gateway().services().metrics().registry().find("tiergate_queue_wait").tag("tier", tier)
        .tag("priority", priority).timer();
    assertNotNull(t, "tiergate_queue_wait_seconds{tier=" + tier + ",priority=" + priority + "} is registered");
    return t.count();
  }

  /** Sends a request and hands back the request itself, so the test can close its connection. */
  static HttpClientRequest send(TestGateway gw, String json, String... headerPairs) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
        .setURI("/v1/chat/completions").putHeader("content-type", "application/json");
    for (int i = 0; i + 1 < headerPairs.length; i += 2) {
      o.putHeader(headerPairs[i], headerPairs[i + 1]);
    }
    HttpClientRequest req = TestGateway.await(gw.onLoop(() -> gw.client().request(o)));
    TestGateway.await(gw.onLoop(() -> req.end(Buffer.buffer(json))));
    return req;
  }

  static Future<TestGateway.Reply> reply(TestGateway gw, HttpClientRequest req) {
    return gw.onLoop(() -> req.response().compose(r -> r.body().map(b -> new TestGateway.Reply(r.statusCode(), r.headers(),
        b.toString()))));
  }

  @Test
  void longPromptWaitsForTheInteractiveStreamThenStarts() {
    try (TestGateway gw = gateway("{ longPromptTokens: 2000, maxWaitMs: 30000 }")) {
      SimStats fast = gw.sim("fast-1").stats();
      fast.reset();
      gw.sim("prefill-1").stats().reset();
      long waitsBefore = queueWaits(gw, "fast", "interactive");
      // ≈ 3 s of decoding at 20 tokens/s: the engine's live interactive stream.
      Wire.Reader live = Wire.Reader.open(gw, "/v1/chat/completions", chat(60));
      live.awaitText("\"content\":\"", 5_000);

      HttpClientRequest held = send(gw, LONG);
      Future<TestGateway.Reply> heldReply = reply(gw, held);
      Wire.await("the long prompt is queued", 5_000, () -> queueLength(gw, "fast-1") == 1);
      assertFalse(live.ended(), "checked while the interactive stream still decodes");
      assertEquals(1, fast.requests(), "the long prompt has not reached the engine while the stream decodes");
      assertFalse(heldReply.isComplete());

      String liveBody = live.awaitEnd();
      assertTrue(Wire.endsWithDone(liveBody), liveBody);
      TestGateway.Reply r = TestGateway.await(heldReply);
      assertEquals(200, r.status(), r.body());
      assertEquals("fast", r.header("x-tiergate-tier"));
      assertNotNull(r.header("x-tiergate-queued-ms"), "the wait is told to the client");
      assertTrue(Long.parseLong(r.header("x-tiergate-queued-ms")) >= 0);
      assertEquals(2, fast.requests(), "the long prompt reached the engine once the stream was done");
      assertEquals(0, queueLength(gw, "fast-1"));
      assertEquals(waitsBefore + 1, queueWaits(gw, "fast", "interactive"), "the wait is in tiergate_queue_wait_seconds");
      assertEquals(0, gw.sim("prefill-1").stats().requests(), "no fallback: the tier has none");
    }
  }

  @Test
  void aShortPromptIsNeverHeldAndABatchPromptWaitsLikeAnyOther() {
    try (TestGateway gw = gateway("{ longPromptTokens: 2000, maxWaitMs: 30000 }")) {
      Wire.Reader live = Wire.Reader.open(gw, "/v1/chat/completions", chat(100_000));
      live.awaitText("\"content\":\"", 5_000);
      TestGateway.Reply shortOne = gw.post("/v1/chat/completions", chat(2).replace("\"stream\":true,", ""));
      assertEquals(200, shortOne.status(), shortOne.body());
      assertNull(shortOne.header("x-tiergate-queued-ms"), "a short prompt starts at once, beside the stream");

      long batchWaits = queueWaits(gw, "fast", "batch");
      HttpClientRequest batch = send(gw, LONG, "x-tiergate-priority", "batch");
      Future<TestGateway.Reply> batchReply = reply(gw, batch);
      Wire.await("the batch prompt is queued", 5_000, () -> queueLength(gw, "fast-1") == 1);
      live.closeConnection();
      TestGateway.Reply r = TestGateway.await(batchReply);
      assertEquals(200, r.status(), r.body());
      assertEquals(batchWaits + 1, queueWaits(gw, "fast", "batch"), "a batch wait is counted under priority=batch");
    }
  }

  @Test
  void aClientThatLeavesTheQueueIsGoneAtOnceAndNeverReachesTheEngine() {
    try (TestGateway gw = gateway("{ longPromptTokens: 2000, maxWaitMs: 30000 }")) {
      SimStats fast = gw.sim("fast-1").stats();
      fast.reset();
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      Wire.Reader live = Wire.Reader.open(gw, "/v1/chat/completions", chat(100_000));
      live.awaitText("\"content\":\"", 5_000);
      HttpClientRequest held = send(gw, LONG);
      Wire.await("the long prompt is queued", 5_000, () -> queueLength(gw, "fast-1") == 1);

      TestGateway.await(gw.onLoop(() -> held.connection().close()));
      Wire.await("the queue is empty once the client left", 2_000, () -> queueLength(gw, "fast-1") == 0);
      live.closeConnection();
      Wire.await("the stream's upstream was closed", 5_000, () -> fast.aborted() == 1);
      assertEquals(1, fast.requests(), "the prompt whose client left never reached the engine");
      Wire.await("both counted as cancelled", 5_000, () -> outcomes.delta("cancelled") == 2);
      Wire.awaitNothingInFlight(gw);
    }
  }

  @Test
  void aFullQueueAnswers429AndAWaitPastMaxWaitAnswers503BothWithRetryAfter() {
    try (TestGateway gw = gateway("{ longPromptTokens: 2000, maxQueue: 1, maxWaitMs: 1500 }")) {
      SimStats fast = gw.sim("fast-1").stats();
      fast.reset();
      Wire.Reader live = Wire.Reader.open(gw, "/v1/chat/completions", chat(100_000));
      live.awaitText("\"content\":\"", 5_000);
      Future<TestGateway.Reply> first = reply(gw, send(gw, LONG));
      Wire.await("the first long prompt is queued", 5_000, () -> queueLength(gw, "fast-1") == 1);

      TestGateway.Reply full = gw.post("/v1/chat/completions", LONG);
      assertEquals(429, full.status(), full.body());
      JsonObject e = new JsonObject(full.body()).getJsonObject("error");
      assertTrue(e.getString("message").contains("maxQueue"), e.encode());
      assertTrue(Long.parseLong(full.header("retry-after")) >= 1, "Retry-After from the predicted drain");

      TestGateway.Reply late = TestGateway.await(first);
      assertEquals(503, late.status(), late.body());
      assertTrue(new JsonObject(late.body()).getJsonObject("error").getString("message").contains("maxWaitMs"), late.body());
      assertTrue(Long.parseLong(late.header("retry-after")) >= 1);
      assertEquals(0, queueLength(gw, "fast-1"));
      assertFalse(live.ended(), "the interactive stream was never disturbed");
      assertEquals(1, fast.requests(), "neither long prompt reached the engine");
      live.closeConnection();
    }
  }

  @Test
  void aLongPromptGoesToAnotherAllowedTierThatCanTakeItNow() {
    try (TestGateway gw = TestGateway.builder()
        .sim("fast-1", sim())
        .sim("prefill-1", sim())
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                admission: { longPromptTokens: 2000 }
                fallback: [prefill]
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: prefill
                backends: [{ name: prefill-1, url: "${SIM_PREFILL_1}", engine: vllm, model: m }]
            """)
        .start()) {
      Wire.warmUp(gw, "fast", "prefill");
      Wire.Reader live = Wire.Reader.open(gw, "/v1/chat/completions", chat(100_000));
      live.awaitText("\"content\":\"", 5_000);
      TestGateway.Reply r = gw.post("/v1/chat/completions", LONG);
      assertEquals(200, r.status(), r.body());
      assertEquals("prefill", r.header("x-tiergate-tier"), "served now by the tier that can take it");
      assertNull(r.header("x-tiergate-queued-ms"), "it did not wait");
      assertEquals(0, queueLength(gw, "fast-1"));
      live.closeConnection();
    }
  }
}
