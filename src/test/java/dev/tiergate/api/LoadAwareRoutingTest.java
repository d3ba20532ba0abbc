package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's promise for {@code routing.mode: predicted}: a short chat goes to the preferred tier
 * while it is idle, and to another tier while the preferred one is busy prefilling a long prompt,
 * with the prediction in a header; a client's TTFT objective picks the tier predicted to meet it.
 */
@ExtendWith(BlockedLoopGuard.class)
class LoadAwareRoutingTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    // 20,000 prompt tokens/s: a 40k-token prompt keeps the engine busy for about 2 s.
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withPrefillTps(20_000).withPrefillHalfRateTokens(1_000_000)
        .withTtftBaseMs(20).withDecodeTps(200).withDenseBatching(false).withContextWindow(131072);
    gw = TestGateway.builder()
        .sim("fast-1", sim)
        .sim("max-1", sim)
        .config("""
            health: { intervalMs: 200 }
            routing:
              mode: predicted
              defaultTier: fast
            tiers:
              - name: fast
                profile: { prefillTps: 20000, prefillHalfRateTokens: 1000000, ttftBaseMs: 20 }
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: max
                profile: { prefillTps: 20000, prefillHalfRateTokens: 1000000, ttftBaseMs: 20 }
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
            """)
        .start();
    Wire.warmUp(gw, "fast", "max");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static String chat() {
    return "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void aShortChatLeavesTheTierThatIsBusyPrefillingAndComesBackWhenItIsFree() {
    TestGateway.Reply idle = gw.post("/v1/chat/completions", chat());
    assertEquals(200, idle.status(), idle.body());
    assertEquals("fast", idle.header("x-tiergate-tier"), "the default tier while it is as quick as any");
    assertEquals("predicted", idle.header("x-tiergate-reason"));
    assertNotNull(idle.header("x-tiergate-predicted-ttft-ms"));

    String longPrompt = "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\""
        + "lorem ipsum ".repeat(13_000) + "\"}]}";
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
        .setURI("/v1/chat/completions").putHeader("content-type", "application/json").putHeader("x-tiergate-tier", "fast");
    HttpClientRequest busy = TestGateway.await(gw.onLoop(() -> gw.client().request(o)));
    Future<Void> sent = gw.onLoop(() -> busy.end(Buffer.buffer(longPrompt)));
    TestGateway.await(sent);
    Wire.await("the long prompt is prefilling on fast", 5_000,
        () -> gw.gateway().services().fleet().load("fast-1").queuedPrefillTokens() > 30_000);

    TestGateway.Reply moved = gw.post("/v1/chat/completions", chat());
    assertEquals(200, moved.status(), moved.body());
    assertEquals("max", moved.header("x-tiergate-tier"), "fast is predicted seconds away: max answers");
    assertEquals("predicted", moved.header("x-tiergate-reason"));

    TestGateway.Reply objective = gw.post("/v1/chat/completions", chat(), "x-tiergate-max-ttft-ms", "60000");
    assertEquals("fast", objective.header("x-tiergate-tier"),
        "with a generous objective the preferred tier is predicted to meet it, busy or not");

    TestGateway.await(gw.onLoop(() -> busy.connection().close()));
    // The engine's own report, scraped each probe interval, must say so too.
    Wire.await("fast is idle, by the gateway's count and by the engine's", 10_000, () -> {
      var load = gw.gateway().services().fleet().load("fast-1");
      return load.waiting() == 0 && load.engineWaiting() <= 0 && load.engineRunning() <= 0;
    });
    TestGateway.Reply back = gw.post("/v1/chat/completions", chat());
    assertEquals("fast", back.header("x-tiergate-tier"), "fast is the choice again once it is free");
    assertTrue(Long.parseLong(back.header("x-tiergate-predicted-ttft-ms")) < 1_000);
  }

  @Test
  void anImpossibleObjectiveIsAnsweredByTheQuickestAndSaysSo() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(), "x-tiergate-max-ttft-ms", "1");
    assertEquals(200, r.status(), r.body());
    assertEquals("predicted:slo-missed", r.header("x-tiergate-reason"));
  }

  @Test
  void aMalformedObjectiveOrPriorityIsA400NamingTheHeader() {
    TestGateway.Reply ttft = gw.post("/v1/chat/completions", chat(), "x-tiergate-max-ttft-ms", "soon");
    assertEquals(400, ttft.status(), ttft.body());
    assertTrue(ttft.body().contains("x-tiergate-max-ttft-ms"), ttft.body());
    TestGateway.Reply prio = gw.post("/v1/chat/completions", chat(), "x-tiergate-priority", "urgent");
    assertEquals(400, prio.status(), prio.body());
    assertTrue(prio.body().contains("x-tiergate-priority"), prio.body());
  }
}
