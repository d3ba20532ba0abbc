package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A non-streamed answer is held whole before it is sent, so it is bounded twice: by
 * {@code server.maxResponseBytes} and by the shared {@code server.maxBufferedBytes}. Both limits are
 * the gateway's, not failures of the engine that produced the answer: a client asking for a huge
 * answer (long output with logprobs) must not get healthy backends charged until their circuits open.
 */
@ExtendWith(BlockedLoopGuard.class)
class ResponseBoundsTest {
  static Vertx engines;
  static FakeEngine big;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    engines = Vertx.vertx();
    // A whole answer of ~300 kB (a long answer with logprobs looks like this), or with x-fake: slow one of
    // ~140 kB: 100 kB at once, 40 kB more once a second such request got its first 100 kB too, then the end.
    String answer = FakeEngine.completion("z".repeat(300_000));
    String slow = FakeEngine.completion("z".repeat(140_000));
    List<HttpServerRequest> started = new ArrayList<>();
    big = FakeEngine.start(engines).on("POST", "/v1/chat/completions", (req, body) -> {
      if (!"slow".equals(req.getHeader("x-fake"))) {
        FakeEngine.json(req, 200, answer);
        return;
      }
      req.response().setStatusCode(200).putHeader("content-type", "application/json").setChunked(true);
      req.response().write(slow.substring(0, 100_000));
      started.add(req);
      if (started.size() == 2) {
        List<HttpServerRequest> pair = List.copyOf(started);
        started.clear();
        // Both grow past the budget together while neither is complete, then end a little later.
        engines.setTimer(100, id -> pair.forEach(r -> r.response().write(slow.substring(100_000, 140_000))));
        engines.setTimer(400, id -> pair.forEach(r -> r.response().end(slow.substring(140_000))));
      }
    });
    gw = TestGateway.builder()
        .config("""
            server: { port: 0, instances: 2, maxBodyBytes: 50000, maxResponseBytes: 200000, maxBufferedBytes: 250000 }
            # failureThreshold 1: a single charged failure would open a circuit.
            health: { intervalMs: 600000, timeoutMs: 5000, failureThreshold: 1, cooldownMs: 60000 }
            routing: { defaultTier: first }
            tiers:
              - name: first
                fallback: [second]
                backends: [{ name: big-1, url: "%1$s", engine: vllm, model: m, contextWindow: 32768 }]
              - name: second
                fallback: []
                backends: [{ name: big-2, url: "%1$s", engine: vllm, model: m, contextWindow: 32768 }]
              - name: roomy
                fallback: []
                backends: [{ name: big-3, url: "%1$s", engine: vllm, model: m, contextWindow: 32768 }]
            """.formatted(big.url()))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes finished", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
  }

  @AfterAll
  static void stop() {
    gw.close();
    big.close();
    TestGateway.await(engines.close());
  }

  @AfterEach
  void nothingHeld() {
    Wire.awaitNothingInFlight(gw);
    Wire.await("no bytes held", 5_000, () -> GatewayState.gauge(gw, "tiergate_buffered_bytes") == 0);
  }

  static String chat() {
    return "{\"model\":\"m\",\"max_tokens\":30000,\"logprobs\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static void uncharged(String backend) {
    JsonObject s = GatewayState.backend(gw, backend);
    assertEquals("closed", s.getString("circuit"), s.encode());
    assertEquals(0, s.getInteger("consecutiveFailures"), s.encode());
    assertTrue(s.getBoolean("routable"), s.encode());
  }

  @Test
  void anAnswerOverMaxResponseBytesChargesNoBackend() {
    for (int i = 0; i < 2; i++) {
      TestGateway.Reply r = gw.post("/v1/chat/completions", chat());
      assertEquals(502, r.status(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
      assertTrue(new JsonObject(r.body()).getJsonObject("error").getString("message").contains("200000"), r.body());
    }
    uncharged("big-1");
    uncharged("big-2");
  }

  @Test
  void answersThatTogetherPassTheSharedBufferBudgetGetA503ForTheOneThatDoesNotFit() throws Exception {
    long hits = GatewayState.limitHits(gw, "buffered_bytes");
    // Each (~140 kB) fits maxResponseBytes; both held at once (~280 kB) would pass the 250 kB budget.
    CompletableFuture<TestGateway.Reply> a = CompletableFuture.supplyAsync(() -> gw.post("/v1/chat/completions", chat(),
        "x-tiergate-tier", "roomy", "x-fake", "slow"));
    CompletableFuture<TestGateway.Reply> b = CompletableFuture.supplyAsync(() -> gw.post("/v1/chat/completions", chat(),
        "x-tiergate-tier", "roomy", "x-fake", "slow"));
    List<TestGateway.Reply> replies = List.of(a.get(20, TimeUnit.SECONDS), b.get(20, TimeUnit.SECONDS));
    List<Integer> statuses = replies.stream().map(TestGateway.Reply::status).sorted().toList();
    assertEquals(List.of(200, 503), statuses);
    TestGateway.Reply refused = replies.stream().filter(r -> r.status() == 503).findFirst().orElseThrow();
    assertEquals("server_overloaded", new JsonObject(refused.body()).getJsonObject("error").getString("code"), refused.body());
    assertEquals(hits + 1, GatewayState.limitHits(gw, "buffered_bytes"));
    uncharged("big-3");
  }
}
