package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * HTTP/1.1 pipelining: requests written back to back on one connection, before any answer, are all
 * answered, in order, whatever each one is (a stream, a whole body, an error), and the connection
 * stays usable after them.
 */
@ExtendWith(BlockedLoopGuard.class)
class PipeliningTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(5).withPrefillTps(1_000_000).withDecodeTps(2_000)
            .withDenseBatching(false).withContextWindow(32768))
        .config("""
            health: { intervalMs: 600000, timeoutMs: 5000 }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m, contextWindow: 32768 }]
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String chat(boolean stream, int maxTokens) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":" + maxTokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static void streamed(RawClient.Response r, String id, int tokens) {
    assertEquals(200, r.status(), r.body());
    assertEquals(id, r.header("x-tiergate-request-id"), "answered in order");
    assertTrue(r.header("content-type").startsWith("text/event-stream"), r.headers().toString());
    assertTrue(Wire.endsWithDone(r.body()), r.body());
    assertEquals(tokens, Wire.joined(r.body(), "content").split(" ").length, r.body());
  }

  static void whole(RawClient.Response r, String id, int tokens) {
    assertEquals(200, r.status(), r.body());
    assertEquals(id, r.header("x-tiergate-request-id"), "answered in order");
    assertEquals(tokens, new JsonObject(r.body()).getJsonObject("usage").getInteger("completion_tokens"), r.body());
  }

  static void badJson(RawClient.Response r, String id) {
    assertEquals(400, r.status(), r.body());
    assertEquals(id, r.header("x-tiergate-request-id"), "answered in order");
    assertEquals("invalid_request_error", new JsonObject(r.body()).getJsonObject("error").getString("type"));
  }

  @Test
  void twoRequestsBackToBackAreBothAnsweredInOrder() {
    try (RawClient c = RawClient.connect(gw.port())) {
      // The slower stream first: the whole answer behind it must wait its turn.
      c.write(RawClient.post("/v1/chat/completions", chat(true, 20), "x-request-id", "p-1")
          + RawClient.post("/v1/chat/completions", chat(false, 2), "x-request-id", "p-2"));
      streamed(c.read(), "p-1", 20);
      whole(c.read(), "p-2", 2);
      c.write(RawClient.get("GET", "/health"));
      assertEquals(200, c.read().status(), "the connection is still usable");
    }
  }

  @Test
  void threeRequestsMixingAStreamAWholeAnswerAndAnErrorAreAllAnsweredInOrder() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(RawClient.post("/v1/chat/completions", "{oops", "x-request-id", "q-1")
          + RawClient.post("/v1/chat/completions", chat(true, 5), "x-request-id", "q-2")
          + RawClient.post("/v1/chat/completions", chat(false, 3), "x-request-id", "q-3"));
      badJson(c.read(), "q-1");
      streamed(c.read(), "q-2", 5);
      whole(c.read(), "q-3", 3);

      c.write(RawClient.post("/v1/chat/completions", chat(false, 2), "x-request-id", "r-1")
          + RawClient.post("/v1/chat/completions", chat(true, 4), "x-request-id", "r-2")
          + RawClient.post("/v1/chat/completions", "[1,2]", "x-request-id", "r-3"));
      whole(c.read(), "r-1", 2);
      streamed(c.read(), "r-2", 4);
      badJson(c.read(), "r-3");
      assertFalse(c.closedWithin(100), "the connection stays open after them");
      c.write(RawClient.post("/v1/chat/completions", chat(true, 2), "x-request-id", "s-1"));
      streamed(c.read(), "s-1", 2);
    }
  }

  @Test
  void anUnknownPathAndAHeadBetweenRequestsDoNotDesynchronizeTheConnection() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(RawClient.post("/v1/nothing", chat(false, 2), "x-request-id", "u-1")
          + "HEAD /health HTTP/1.1\r\nHost: localhost\r\nx-request-id: u-2\r\n\r\n"
          + RawClient.post("/v1/chat/completions", chat(false, 2), "x-request-id", "u-3"));
      RawClient.Response notFound = c.read();
      assertEquals(404, notFound.status(), notFound.body());
      assertEquals("u-1", notFound.header("x-tiergate-request-id"));
      RawClient.Response head = c.read(true);
      assertEquals(200, head.status());
      assertEquals("u-2", head.header("x-tiergate-request-id"));
      whole(c.read(), "u-3", 2);
    }
  }
}
