package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.FakeEngine;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An upstream event larger than {@code server.maxEventBytes} (1 MiB by default) is the gateway's
 * limit, not the engine's failure: before the response is committed the client gets a 502, after it
 * an error event that ends the stream; the backend is not charged; {@code limit="event_size"} counts it.
 */
@ExtendWith(BlockedLoopGuard.class)
class EventSizeTest {
  static final int TWO_MIB = 2 * 1024 * 1024;
  static Vertx engines;
  static FakeEngine engine;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    engines = Vertx.vertx();
    engine = FakeEngine.start(engines).on("POST", "/v1/chat/completions", EventSizeTest::answer);
    gw = TestGateway.builder()
        .config("""
            # failureThreshold 1: a single charged failure would open the circuit.
            health: { intervalMs: 600000, timeoutMs: 5000, failureThreshold: 1, cooldownMs: 60000 }
            routing: { defaultTier: big }
            tiers:
              - name: big
                fallback: []
                backends: [{ name: big-1, url: "%s", engine: vllm, model: m, contextWindow: 32768 }]
            """.formatted(engine.url()))
        .start();
    Wire.await("the probe saw big-1 ready", 5_000, () -> gw.gateway().services().fleet().get("big-1").health() == Health.READY);
  }

  @AfterAll
  static void stop() {
    gw.close();
    engine.close();
    TestGateway.await(engines.close());
  }

  @AfterEach
  void notCharged() {
    Wire.awaitNothingInFlight(gw);
    JsonObject s = GatewayState.backend(gw, "big-1");
    assertEquals("closed", s.getString("circuit"), s.encode());
    assertEquals(0, s.getInteger("consecutiveFailures"), s.encode());
    assertTrue(s.getBoolean("routable"), s.encode());
  }

  /** A role chunk, then (with {@code x-fake: mid}) one content chunk, then a 2 MiB event; the stream never ends by itself. */
  static void answer(HttpServerRequest req, Buffer body) {
    FakeEngine.sseHead(req);
    req.response().write(FakeEngine.event(FakeEngine.chunk(null)));
    if ("mid".equals(req.getHeader("x-fake"))) {
      req.response().write(FakeEngine.event(FakeEngine.chunk("hello")));
    }
    String pad = "y".repeat(TWO_MIB);
    req.response().write(FakeEngine.event("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + pad + "\"}}]}"));
  }

  static String chat() {
    return "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void anOversizedEventBeforeTheFirstOutputIsA502() {
    long hits = GatewayState.limitHits(gw, "event_size");
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat());
    assertEquals(502, r.status(), r.body().length() > 500 ? r.body().substring(0, 500) : r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("upstream_error", err.getString("type"));
    assertTrue(err.getString("message").contains("1048576"), err.encode());
    assertTrue(err.getString("message").contains("server.maxEventBytes"), err.encode());
    assertEquals("big-1", r.header("x-tiergate-backend"));
    assertEquals(hits + 1, GatewayState.limitHits(gw, "event_size"), "counted as limit=event_size");
  }

  @Test
  void anOversizedEventMidStreamEndsItWithAnErrorEvent() {
    long hits = GatewayState.limitHits(gw, "event_size");
    Wire.Reader reader = Wire.Reader.open(gw, "/v1/chat/completions", chat(), "x-fake", "mid");
    assertEquals(200, reader.response.statusCode());
    String sse = reader.awaitEnd();
    assertEquals("hello", Wire.joined(sse, "content"), "the output before the oversized event was relayed");
    List<JsonObject> errors = Wire.errors(sse);
    assertEquals(1, errors.size(), sse);
    assertTrue(errors.get(0).getString("message").contains("exceeds"), errors.get(0).encode());
    assertFalse(Wire.hasDone(sse), "no [DONE] is faked");
    assertTrue(sse.length() < 100_000, "the oversized event was not relayed: " + sse.length() + " bytes");
    assertEquals(hits + 1, GatewayState.limitHits(gw, "event_size"), "counted as limit=event_size");
  }
}
