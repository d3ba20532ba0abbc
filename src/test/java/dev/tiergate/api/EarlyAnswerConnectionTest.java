package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request answered from its head alone (here a wrong key) before its body was read: a small
 * announced body is read and dropped and the connection serves the next request; a body that is
 * large, chunked, held behind {@code Expect: 100-continue}, or never sent closes the connection.
 */
class EarlyAnswerConnectionTest {
  static final String KEY = "early-answer-key-0123456789";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false))
        .env("KEY", KEY)
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            auth:
              keys:
                - { name: good, key: "${KEY}" }
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static String chat(String key) {
    return RawClient.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + key);
  }

  static String head(String key, String... more) {
    StringBuilder sb = new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + "Authorization: Bearer " + key + "\r\n");
    for (String h : more) {
      sb.append(h).append("\r\n");
    }
    return sb.append("\r\n").toString();
  }

  static void assertUnauthorizedAndKept(RawClient.Response r) {
    assertEquals(401, r.status(), r.body());
    assertNull(r.header("connection"), "the connection is kept: " + r.headers());
  }

  @Test
  void aWrongKeyWithItsBodyInOneWriteKeepsTheConnectionForTheNextRequest() {
    try (RawClient c = RawClient.connect(gw.port())) {
      for (int i = 0; i < 3; i++) {
        c.write(chat("wrong-" + i));
        assertUnauthorizedAndKept(c.read());
      }
      c.write(chat(KEY));
      assertEquals(200, c.read().status(), "the same connection serves a request with the right key");
    }
  }

  @Test
  void aWrongKeyAnsweredBeforeItsBodyArrivedStillReadsTheBodyAsThisRequests() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(head("wrong", "Content-Length: " + CHAT.length()));
      assertTrue(c.respondsWithin(5_000), "answered from the head alone");
      assertUnauthorizedAndKept(c.read());
      // The body comes after the answer: it is this request's, never taken for the next request's head.
      c.write(CHAT.substring(0, 10));
      c.write(CHAT.substring(10));
      c.write(chat(KEY));
      assertEquals(200, c.read().status());
    }
  }

  @Test
  void aWrongKeyPipelinedWithAGoodRequestAnswersBothInOrder() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(chat("wrong") + chat(KEY) + chat("wrong-again"));
      assertUnauthorizedAndKept(c.read());
      assertEquals(200, c.read().status());
      assertUnauthorizedAndKept(c.read());
      assertFalse(c.closedWithin(200), "still open");
    }
  }

  @Test
  void aBodyHeldBehindExpectContinueClosesTheConnection() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(head("wrong", "Content-Length: " + CHAT.length(), "Expect: 100-continue"));
      RawClient.Response r = c.read();
      assertEquals(401, r.status(), r.body());
      assertEquals("close", r.header("connection"), "the client may send the body or its next request: the two cannot be told apart");
      assertTrue(c.closedWithin(10_000));
    }
  }

  @Test
  void aLargeAnnouncedBodyClosesTheConnectionOnceItIsRead() {
    int size = (int) Connections.DISCARD_MAX_BYTES + 1;
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(head("wrong", "Content-Length: " + size));
      RawClient.Response r = c.read();
      assertEquals(401, r.status(), r.body());
      assertEquals("close", r.header("connection"));
      c.tryWrite(new byte[size]);
      assertTrue(c.closedWithin(10_000));
    }
  }

  @Test
  void aChunkedBodyClosesTheConnection() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(head("wrong", "Transfer-Encoding: chunked") + Integer.toHexString(CHAT.length()) + "\r\n" + CHAT + "\r\n0\r\n\r\n");
      RawClient.Response r = c.read();
      assertEquals(401, r.status(), r.body());
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedWithin(10_000));
    }
  }

  @Test
  void aSmallBodyThatNeverComesLosesTheConnection() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write(head("wrong", "Content-Length: " + CHAT.length()));
      assertUnauthorizedAndKept(c.read());
      assertTrue(c.closedWithin(15_000), "closed once the rest of the body did not come");
    }
  }
}
