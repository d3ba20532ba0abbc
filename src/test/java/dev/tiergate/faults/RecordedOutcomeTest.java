package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.FakeEngine;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the metrics say about a request must be true: a client that leaves while waiting for the first
 * token is a cancellation on the backend it was waiting for, and a prompt served from the prefix cache
 * says nothing about the tier's prefill rate.
 */
@ExtendWith(BlockedLoopGuard.class)
class RecordedOutcomeTest {
  static Vertx engines;
  static FakeEngine cached;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    engines = Vertx.vertx();
    cached = FakeEngine.start(engines).on("POST", "/v1/chat/completions", RecordedOutcomeTest::cachedStream);
    gw = TestGateway.builder()
        .sim("wait-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5_000).withDenseBatching(false)
            .withContextWindow(32768))
        .config("""
            health: { intervalMs: 600000, timeoutMs: 5000 }
            routing: { defaultTier: wait }
            tiers:
              - name: wait
                fallback: []
                timeouts: { ttftMs: 60000 }
                backends: [{ name: wait-1, url: "${SIM_WAIT_1}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: cache
                fallback: []
                backends: [{ name: cache-1, url: "%s", engine: vllm, model: m, contextWindow: 32768 }]
            """.formatted(cached.url()))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes finished", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
  }

  @AfterAll
  static void stop() {
    gw.close();
    cached.close();
    TestGateway.await(engines.close());
  }

  static long outcome(String tier, String backend, String outcome) {
    Counter c = gw.gateway().services().metrics().registry().find("tiergate_requests").tag("tier", tier).tag("backend", backend)
        .tag("outcome", outcome).counter();
    return c == null ? 0 : (long) c.count();
  }

  @Test
  void aClientThatLeavesBeforeTheFirstTokenIsCancelledOnTheBackendItWaitedFor() {
    long before = outcome("wait", "wait-1", "cancelled");
    long none = outcome("none", "none", "cancelled");
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(RawClient.post("/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
          "x-sim-fault", "stall-first"));
      Wire.await("the request reached the backend", 5_000, () -> gw.sim("wait-1").stats().requests() == 1);
    }
    Wire.await("the backend saw the request aborted", 5_000, () -> gw.sim("wait-1").stats().aborted() == 1);
    Wire.await("counted as cancelled on wait-1", 5_000, () -> outcome("wait", "wait-1", "cancelled") == before + 1);
    assertEquals(none, outcome("none", "none", "cancelled"), "not as a request that never reached a backend");
    assertEquals(0, GatewayState.backend(gw, "wait-1").getInteger("consecutiveFailures"), "a client leaving is not the backend's fault");
    Wire.awaitNothingInFlight(gw);
  }

  /** A stream whose usage reports {@code x-fake-cached} of its 1000 prompt tokens as cached, after a 50 ms "prefill". */
  static void cachedStream(HttpServerRequest req, Buffer body) {
    int cachedTokens = Integer.parseInt(req.getHeader("x-fake-cached"));
    FakeEngine.sseHead(req);
    req.response().write(FakeEngine.event(FakeEngine.chunk(null)));
    engines.setTimer(50, id -> {
      req.response().write(FakeEngine.event(FakeEngine.chunk("a")));
      req.response().write(FakeEngine.event(FakeEngine.chunk("b")));
      req.response().write(FakeEngine.event("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
          + "\"choices\":[],\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":2,\"total_tokens\":1002,"
          + "\"prompt_tokens_details\":{\"cached_tokens\":" + cachedTokens + "}}}"));
      req.response().end(FakeEngine.event("[DONE]"));
    });
  }

  static String streamed() {
    return "{\"model\":\"m\",\"stream\":true,\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void aFullyCachedPromptRecordsNoPrefillRate() {
    String rate = "tiergate_prefill_tokens_per_second";
    long samples = GatewayState.samples(gw, rate, "cache-1");
    TestGateway.Reply hit = gw.post("/v1/chat/completions", streamed(), "x-tiergate-tier", "cache", "x-fake-cached", "999");
    assertEquals(200, hit.status(), hit.body());
    assertTrue(Wire.endsWithDone(hit.body()), hit.body());
    Wire.await("the request was recorded", 5_000, () -> Wire.outcome(gw, "cache-1", "ok") >= 1);
    assertEquals(samples, GatewayState.samples(gw, rate, "cache-1"), "one uncached token in 50 ms is not a prefill rate");
    Counter cachedTokens = gw.gateway().services().metrics().registry().find("tiergate_cached_prompt_tokens").tag("backend", "cache-1")
        .counter();
    assertEquals(999, (long) cachedTokens.count(), "the usage was read");

    // The same stream with nothing cached is a prefill sample: the check above is not vacuous.
    TestGateway.Reply miss = gw.post("/v1/chat/completions", streamed(), "x-tiergate-tier", "cache", "x-fake-cached", "0");
    assertEquals(200, miss.status(), miss.body());
    Wire.await("the uncached prompt is a prefill sample", 5_000, () -> GatewayState.samples(gw, rate, "cache-1") == samples + 1);
    Wire.awaitNothingInFlight(gw);
  }
}
