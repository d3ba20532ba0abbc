package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HTTP below the API: requests the HTTP decoder itself refuses still get the gateway's envelope and
 * request id, and a client that asks to be told before sending its body ({@code Expect: 100-continue})
 * is told, or refused, at once.
 */
@ExtendWith(BlockedLoopGuard.class)
class HttpEdgesTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5_000).withDenseBatching(false)
            .withContextWindow(32768))
        .config("""
            server: { port: 0, instances: 2, maxBodyBytes: 100000 }
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

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "uri|414",
      "headers|431",
      "garbage|400",
      "length|400",
      "star|400",
  })
  void aRequestTheDecoderRefusesStillGetsTheEnvelopeAndARequestId(String kind, int status) {
    String request = switch (kind) {
      case "uri" -> "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n";
      case "headers" -> "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(10_000) + "\r\n\r\n";
      case "garbage" -> "BLAH\r\n\r\n";
      case "length" -> "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}";
      default -> "GET * HTTP/1.1\r\nHost: x\r\n\r\n";
    };
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(request);
      RawClient.Response r = c.read();
      assertEquals(status, r.status(), r.body());
      assertNotNull(r.header("x-tiergate-request-id"), r.headers().toString());
      JsonObject err = new JsonObject(r.body()).getJsonObject("error");
      assertEquals("invalid_request_error", err.getString("type"), r.body());
      assertTrue(err.getString("message").length() > 10, r.body());
    }
  }

  static String chat() {
    return "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static String expectHead(String contentType, int length) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType + "\r\nExpect: 100-continue\r\n"
        + "Content-Length: " + length + "\r\n\r\n";
  }

  @Test
  void aClientExpecting100ContinueIsToldToSendItsBody() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(expectHead("application/json", chat().length()));
      // Clients wait a second (curl) or longer before sending anyway: the gateway must not make them.
      assertTrue(c.respondsWithin(2_000), "no 100 Continue: the client would wait before sending its body");
      assertEquals(100, c.read().status());
      c.write(chat());
      RawClient.Response r = c.read();
      assertEquals(200, r.status(), r.body());
      assertEquals("fast-1", r.header("x-tiergate-backend"));
    }
    Wire.awaitNothingInFlight(gw);
  }

  @Test
  void aBodyTheHeadAlreadyRulesOutIsRefusedWithoutAContinue() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(expectHead("application/json", 200_000));
      RawClient.Response r = c.read();
      assertEquals(413, r.status(), "refused from the head: the client need not send 200 kB first");
    }
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(expectHead("text/plain", 10));
      assertEquals(415, c.read().status());
    }
  }
}
