package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No client, however slow or however many, can exhaust the gateway: bodies held in memory are
 * capped as a sum, a body must arrive in time, connections must send a head in time and may idle
 * only so long, and their number is capped. Each limit answers or closes fast, is counted in
 * {@code tiergate_limit_hits_total}, and leaves everyone else served.
 */
@ExtendWith(BlockedLoopGuard.class)
class ClientBoundsTest {
  static final SimOptions SIM = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(10_000_000)
      .withDecodeTps(5_000).withDenseBatching(false).withContextWindow(262144);
  static final String TIERS = """
      health: { intervalMs: 600000, timeoutMs: 5000 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m, contextWindow: 262144 }]
      """;
  /** Bodies of 90,000 bytes: two fit the 250,000-byte budget, a third does not. */
  static final int BODY = 90_000;
  static TestGateway memory;
  static TestGateway time;
  static TestGateway conns;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    memory = TestGateway.builder().sim("fast-1", SIM).config("""
        server: { port: 0, instances: 2, maxBodyBytes: 100000, maxBufferedBytes: 250000, bodyTimeoutMs: 20000 }
        """ + TIERS).start();
    time = TestGateway.builder().sim("fast-1", SIM).config("""
        server: { port: 0, instances: 2, headerTimeoutMs: 500, bodyTimeoutMs: 600, keepAliveTimeoutMs: 500 }
        """ + TIERS).start();
    conns = TestGateway.builder().sim("fast-1", SIM).config("""
        server: { port: 0, instances: 2, maxConnections: 3, headerTimeoutMs: 20000, keepAliveTimeoutMs: 20000 }
        """ + TIERS).start();
  }

  @AfterAll
  static void stop() {
    memory.close();
    time.close();
    conns.close();
  }

  static String chat(String content) {
    return "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  /** A valid chat body of exactly {@code size} bytes. */
  static String chatOfSize(int size) {
    String empty = chat("");
    return chat("x".repeat(size - empty.length()));
  }

  static String head(String path, int contentLength) {
    return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + contentLength
        + "\r\n\r\n";
  }

  static void overloaded(RawClient.Response r) {
    assertEquals(503, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("server_overloaded", err.getString("code"), r.body());
    assertTrue(r.header("retry-after") != null, r.headers().toString());
  }

  /** Opens {@code n} connections that announce a 90 kB body and send 100 bytes of it. */
  static List<RawClient> slowUploads(int n) {
    String body = chatOfSize(BODY);
    List<RawClient> slow = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RawClient c = RawClient.connect(memory.port());
      c.write(head("/v1/chat/completions", BODY) + body.substring(0, 100));
      slow.add(c);
    }
    return slow;
  }

  @Test
  void slowLargeBodiesBeyondTheMemoryBudgetGetAFast503AndEveryoneElseIsServed() {
    long hitsBefore = GatewayState.limitHits(memory, "buffered_bytes");
    List<RawClient> slow = slowUploads(5);
    try {
      // The budget holds two of the five bodies.
      Wire.await("two bodies are held", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 2.0 * BODY);
      int refused = 0;
      int held = 0;
      for (RawClient c : slow) {
        // Those refused were answered at once (the body deadline is 20 s); those held have no answer.
        if (c.respondsWithin(1_500)) {
          overloaded(c.read());
          assertTrue(c.closedWithin(10_000), "a refused connection whose body was never read is closed");
          refused++;
        } else {
          held++;
        }
      }
      assertEquals(3, refused, "three of five were refused");
      assertEquals(2, held);
      assertEquals(hitsBefore + 3, GatewayState.limitHits(memory, "buffered_bytes"));

      // Meanwhile the gateway serves small requests and its health.
      TestGateway.Reply ok = memory.post("/v1/chat/completions", chat("hello"));
      assertEquals(200, ok.status(), ok.body());
      assertEquals(200, memory.get("/health").status());
      Wire.awaitNothingInFlight(memory);
      Wire.await("only the two held bodies remain", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 2.0 * BODY);
    } finally {
      slow.forEach(RawClient::close);
    }
    Wire.await("every byte is given back once the slow clients are gone", 5_000,
        () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 0);
  }

  @Test
  void aHeldBodyThatFinallyArrivesIsServedAndItsBytesAreReturned() {
    String body = chatOfSize(BODY);
    try (RawClient c = RawClient.connect(memory.port())) {
      c.write(head("/v1/chat/completions", BODY) + body.substring(0, 100));
      Wire.await("the body is held", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == BODY);
      c.write(body.substring(100));
      RawClient.Response r = c.read();
      assertEquals(200, r.status(), r.body());
      assertEquals("fast-1", r.header("x-tiergate-backend"));
    }
    Wire.await("the body's bytes are back", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 0);
  }

  @Test
  void aChunkedUploadThatOutgrowsTheBudgetIsCutWith503() {
    long hitsBefore = GatewayState.limitHits(memory, "buffered_bytes");
    List<RawClient> slow = slowUploads(2);
    try (RawClient c = RawClient.connect(memory.port())) {
      Wire.await("two bodies are held", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 2.0 * BODY);
      c.write("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n");
      // No length announced: reserved as it arrives, and the 70 kB left run out long before maxBodyBytes (100 kB).
      byte[] chunk = ("2710\r\n" + "x".repeat(10_000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 9 && c.tryWrite(chunk); i++) {
        // keep sending until the gateway stops reading
      }
      overloaded(c.read());
      assertEquals(hitsBefore + 1, GatewayState.limitHits(memory, "buffered_bytes"));
      Wire.await("the partial body's bytes are back", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 2.0 * BODY);
    } finally {
      slow.forEach(RawClient::close);
    }
    Wire.await("every byte is back", 5_000, () -> GatewayState.gauge(memory, "tiergate_buffered_bytes") == 0);
  }

  @Test
  void aBodyTricklingSlowerThanTheBodyDeadlineGets408() throws Exception {
    long hitsBefore = GatewayState.limitHits(time, "body_timeout");
    AtomicBoolean stop = new AtomicBoolean();
    try (RawClient c = RawClient.connect(time.port())) {
      c.write(head("/v1/chat/completions", 1_000));
      Thread trickle = new Thread(() -> {
        while (!stop.get() && c.tryWrite(new byte[] {' '})) {
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      trickle.start();
      assertTrue(c.respondsWithin(5_000), "answered once bodyTimeoutMs (600) ran out");
      RawClient.Response r = c.read();
      stop.set(true);
      trickle.join();
      assertEquals(408, r.status(), r.body());
      assertEquals("request_timeout", new JsonObject(r.body()).getJsonObject("error").getString("code"));
      assertTrue(r.header("x-tiergate-request-id") != null);
      assertEquals("close", r.header("connection"), "the rest of the body cannot be read: the connection is closed");
    }
    assertEquals(hitsBefore + 1, GatewayState.limitHits(time, "body_timeout"));
  }

  @Test
  void anIdleKeptAliveConnectionIsClosedButOneInUseIsNot() {
    long hitsBefore = GatewayState.limitHits(time, "keep_alive_idle");
    try (RawClient busy = RawClient.connect(time.port())) {
      // Ten requests 100 ms apart: a second in all, twice the idle limit, yet never idle that long.
      for (int i = 0; i < 10; i++) {
        busy.write(RawClient.get("GET", "/health"));
        assertEquals(200, busy.read().status());
        assertFalse(busy.closedWithin(100), "closed while in use, after request " + i);
      }
    }
    try (RawClient idle = RawClient.connect(time.port())) {
      idle.write(RawClient.get("GET", "/health"));
      assertEquals(200, idle.read().status());
      assertTrue(idle.closedWithin(5_000), "an idle kept-alive connection is closed (keepAliveTimeoutMs 500)");
    }
    Wire.await("the idle close is counted", 2_000, () -> GatewayState.limitHits(time, "keep_alive_idle") >= hitsBefore + 1);
  }

  @Test
  void aConnectionThatNeverSendsAHeadOrSendsItByTheByteIsClosed() {
    long hitsBefore = GatewayState.limitHits(time, "header_timeout");
    try (RawClient silent = RawClient.connect(time.port())) {
      assertTrue(silent.closedWithin(5_000), "closed after headerTimeoutMs (500)");
    }
    try (RawClient slowloris = RawClient.connect(time.port())) {
      slowloris.write("GET /health HTTP/1.1\r\nHost: localhost\r\n");
      boolean closed = false;
      for (int i = 0; i < 50 && !closed; i++) {
        closed = !slowloris.tryWrite(("X-Pad-" + i + ": y\r\n").getBytes(StandardCharsets.US_ASCII)) || slowloris.closedWithin(100);
      }
      assertTrue(closed, "a head sent a header at a time is cut off too");
    }
    Wire.await("both are counted", 2_000, () -> GatewayState.limitHits(time, "header_timeout") >= hitsBefore + 2);
  }

  @Test
  void connectionsPastTheLimitGet503AndCloseWhileTheOthersKeepWorking() {
    long hitsBefore = GatewayState.limitHits(conns, "connections");
    List<RawClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        RawClient c = RawClient.connect(conns.port());
        c.write(RawClient.get("GET", "/health"));
        assertEquals(200, c.read().status());
        open.add(c);
      }
      Wire.await("three connections open", 2_000, () -> GatewayState.gauge(conns, "tiergate_open_connections") == 3);
      try (RawClient extra = RawClient.connect(conns.port())) {
        extra.write(RawClient.post("/v1/chat/completions", chat("one too many")));
        RawClient.Response r = extra.read();
        overloaded(r);
        assertEquals("close", r.header("connection"));
        assertTrue(extra.closedWithin(5_000), "the extra connection is closed");
      }
      assertEquals(hitsBefore + 1, GatewayState.limitHits(conns, "connections"));
      Wire.await("back to three", 2_000, () -> GatewayState.gauge(conns, "tiergate_open_connections") == 3);
      for (RawClient c : open) {
        c.write(RawClient.post("/v1/chat/completions", chat("still here")));
        RawClient.Response r = c.read();
        assertEquals(200, r.status(), r.body());
      }
      open.remove(0).close();
      Wire.await("a slot is free", 2_000, () -> GatewayState.gauge(conns, "tiergate_open_connections") == 2);
      try (RawClient next = RawClient.connect(conns.port())) {
        next.write(RawClient.get("GET", "/health"));
        assertEquals(200, next.read().status(), "a new connection is served once one closed");
      }
    } finally {
      open.forEach(RawClient::close);
    }
    Wire.awaitNothingInFlight(conns);
  }
}
