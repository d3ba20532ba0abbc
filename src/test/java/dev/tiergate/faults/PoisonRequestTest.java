package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 9, first promise: no client can take a healthy tier down. Requests whose nested types an
 * engine would choke on are the client's 400 at the gateway and never reach a backend, however many
 * arrive; and when an engine itself says "I could not parse your input" with a 500 (llama.cpp's real
 * bytes, replayed), that is the client's 400 too: not retried elsewhere, not held against the engine.
 */
@ExtendWith(BlockedLoopGuard.class)
class PoisonRequestTest {
  static final String[] TRANSCRIPTS = {"15a_bad_role_type", "15b_bad_content_part_text", "15c_null_tool_call_id"};
  static Vertx engines;
  static ByteReplay replay;
  static TestGateway gw;

  @BeforeAll
  static void start() throws IOException {
    JvmWarmUp.once();
    engines = Vertx.vertx();
    replay = ByteReplay.start(engines);
    SimOptions sim = SimOptions.defaults("llamacpp").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
        .withDecodeTps(5_000).withDenseBatching(false).withContextWindow(32768);
    gw = TestGateway.builder()
        .sim("main-1", sim)
        .sim("main-2", sim)
        .sim("backup-1", sim)
        .config("""
            # No probes after the first: only requests could change what the fleet knows.
            health: { intervalMs: 600000, timeoutMs: 5000, failureThreshold: 2, cooldownMs: 60000 }
            routing: { defaultTier: main }
            tiers:
              - name: main
                fallback: []
                backends:
                  - { name: main-1, url: "${SIM_MAIN_1}", engine: llamacpp, model: m, contextWindow: 32768 }
                  - { name: main-2, url: "${SIM_MAIN_2}", engine: llamacpp, model: m, contextWindow: 32768 }
              - name: llama
                fallback: [backup]
                backends: [{ name: replay-1, url: "http://127.0.0.1:%d", engine: llamacpp, model: tiny, contextWindow: 4096 }]
              - name: backup
                fallback: []
                backends: [{ name: backup-1, url: "${SIM_BACKUP_1}", engine: llamacpp, model: m, contextWindow: 32768 }]
            """.formatted(replay.port()))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes saw every backend ready", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
  }

  @AfterAll
  static void stop() {
    gw.close();
    TestGateway.await(engines.close());
  }

  /** Bodies with a wrong nested type or value, each with the JSON path the 400 must name. */
  static final String[][] POISON = {
      {"{\"model\":\"m\",\"messages\":[{\"role\":true,\"content\":\"POISON\"}]}", "messages[0].role"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":42}]}],\"x\":\"POISON\"}",
          "messages[0].content[0].text"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"},{\"role\":\"tool\",\"tool_call_id\":null,"
          + "\"content\":\"x\"}]}", "messages[1].tool_call_id"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":7}],\"x\":\"POISON\"}", "messages[0].content"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"},{\"role\":\"assistant\",\"content\":null,"
          + "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":{}}}]}]}",
          "messages[1].tool_calls[0].function.arguments"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"}],\"tools\":[{\"type\":\"function\","
          + "\"function\":{\"name\":3}}]}", "tools[0].function.name"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"}],\"tool_choice\":\"sometimes\"}", "tool_choice"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"}],\"response_format\":{\"type\":\"xml\"}}",
          "response_format.type"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"}],\"stop\":5}", "stop"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"POISON\"}],\"max_tokens\":\"four\"}", "max_tokens"},
      {"{\"model\":\"m\",\"messages\":[\"POISON\"]}", "messages[0]"},
      {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":9}}]}],"
          + "\"x\":\"POISON\"}", "messages[0].content[0].image_url.url"},
  };

  static String valid(int i, boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"VALID-" + i
        + "\"}]}";
  }

  @Test
  void malformedRequestsInterleavedWithValidOnesNeverReachABackendNorOpenACircuit() {
    assertTrue(POISON.length > 6, "more poison than the failure threshold, several times over");
    Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
    int validSent = 0;
    for (int i = 0; i < POISON.length; i++) {
      boolean stream = i % 2 == 0;
      TestGateway.Reply ok = gw.post("/v1/chat/completions", valid(i, stream));
      validSent++;
      assertEquals(200, ok.status(), ok.body());
      assertTrue(ok.header("x-tiergate-backend").startsWith("main-"), ok.header("x-tiergate-backend"));
      assertNull(ok.header("x-tiergate-failed"), "no backend failed a valid request");

      String body = stream ? POISON[i][0].replace("{\"model\":\"m\",", "{\"model\":\"m\",\"stream\":true,") : POISON[i][0];
      TestGateway.Reply bad = gw.post("/v1/chat/completions", body);
      assertEquals(400, bad.status(), body + " -> " + bad.body());
      JsonObject err = new JsonObject(bad.body()).getJsonObject("error");
      assertEquals("invalid_request_error", err.getString("type"), bad.body());
      assertEquals(POISON[i][1], err.getString("param"), "the 400 names the JSON path: " + bad.body());
      assertTrue(err.getString("message").contains(POISON[i][1]), bad.body());
      assertNull(bad.header("x-tiergate-backend"), "a rejected body is never routed");
      assertTrue(bad.header("x-tiergate-request-id") != null, "errors carry the request id");
    }

    List<String> seen = new java.util.ArrayList<>(gw.sim("main-1").stats().requestBodies());
    seen.addAll(gw.sim("main-2").stats().requestBodies());
    assertEquals(validSent, seen.size(), "the backends saw exactly the valid requests: " + seen);
    assertTrue(seen.stream().noneMatch(b -> b.contains("POISON")), "no malformed body reached an engine");
    assertTrue(seen.stream().allMatch(b -> b.contains("VALID-")));
    assertFalse(gw.sim("main-1").stats().requestBodies().isEmpty() || gw.sim("main-2").stats().requestBodies().isEmpty(),
        "both backends of the tier took traffic");
    for (String b : new String[] {"main-1", "main-2"}) {
      JsonObject s = GatewayState.backend(gw, b);
      assertEquals("closed", s.getString("circuit"), s.encode());
      assertEquals(0, s.getInteger("consecutiveFailures"), s.encode());
      assertEquals("ready", s.getString("state"), s.encode());
      assertTrue(s.getBoolean("routable"), s.encode());
    }
    Wire.await("every request counted once", 5_000,
        () -> outcomes.delta("ok") == POISON.length && outcomes.delta("client_error") == POISON.length);
    assertEquals(0, outcomes.delta("upstream_error"));
    Wire.awaitNothingInFlight(gw);
  }

  @Test
  void llamaCppsParse500IsTheClientsErrorNotRetriedAndNotCharged() {
    long backupBefore = gw.sim("backup-1").stats().requests();
    long clientErrorsBefore = Wire.outcome(gw, "replay-1", "client_error");
    int before = replay.chats.get();
    for (int i = 0; i < TRANSCRIPTS.length; i++) {
      boolean stream = i == 1;
      // Valid for the gateway: only the engine's own verdict can call it the client's fault.
      String body = "{\"model\":\"tiny\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":4}";
      TestGateway.Reply r = gw.post("/v1/chat/completions", body, "x-tiergate-tier", "llama");
      assertEquals(400, r.status(), TRANSCRIPTS[i] + ": " + r.body());
      JsonObject err = new JsonObject(r.body()).getJsonObject("error");
      assertEquals("invalid_request_error", err.getString("type"), r.body());
      assertTrue(err.getString("message").contains("Failed to parse messages"), r.body());
      assertTrue(err.getString("message").contains("type must be string"), r.body());
      assertEquals("replay-1", r.header("x-tiergate-backend"));
      assertEquals("replay-1:client_error", r.header("x-tiergate-failed"));
    }
    assertEquals(before + TRANSCRIPTS.length, replay.chats.get(), "each request reached the replayed engine once");
    assertEquals(backupBefore, gw.sim("backup-1").stats().requests(), "the fallback tier was never tried");
    JsonObject s = GatewayState.backend(gw, "replay-1");
    assertEquals("closed", s.getString("circuit"), s.encode());
    assertEquals(0, s.getInteger("consecutiveFailures"), s.encode());
    assertNull(s.getValue("lastError"), s.encode());
    assertTrue(s.getBoolean("routable"), s.encode());
    Wire.await("counted as client errors against the engine that answered", 5_000,
        () -> Wire.outcome(gw, "replay-1", "client_error") - clientErrorsBefore == TRANSCRIPTS.length);
    Wire.awaitNothingInFlight(gw);
  }

  /**
   * A raw TCP engine that answers chat requests with the captured llama.cpp responses, byte for
   * byte, in turn (and closes, as the capture says), and {@code /health} with the captured 200.
   */
  static final class ByteReplay {
    final AtomicInteger chats = new AtomicInteger();
    private final byte[][] answers;
    private final byte[] health;
    private NetServer server;

    private ByteReplay() throws IOException {
      answers = new byte[TRANSCRIPTS.length][];
      for (int i = 0; i < TRANSCRIPTS.length; i++) {
        answers[i] = resource(TRANSCRIPTS[i] + ".txt");
      }
      health = resource("01_health.txt");
    }

    static ByteReplay start(Vertx vertx) throws IOException {
      ByteReplay r = new ByteReplay();
      r.server = TestGateway.await(vertx.createNetServer().connectHandler(r::connection).listen(0, "127.0.0.1"));
      return r;
    }

    int port() {
      return server.actualPort();
    }

    static byte[] resource(String name) throws IOException {
      try (InputStream in = PoisonRequestTest.class.getResourceAsStream("/engine-transcripts/llamacpp/" + name)) {
        if (in == null) {
          throw new IOException("missing test resource " + name);
        }
        return in.readAllBytes();
      }
    }

    private void connection(NetSocket socket) {
      Buffer[] pending = {Buffer.buffer()};
      socket.handler(chunk -> {
        pending[0].appendBuffer(chunk);
        String text = pending[0].toString(StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
          return;
        }
        int length = 0;
        for (String line : text.substring(0, headEnd).split("\r\n")) {
          if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        if (pending[0].length() < headEnd + 4 + length) {
          return;
        }
        pending[0] = pending[0].getBuffer(headEnd + 4 + length, pending[0].length());
        String requestLine = text.substring(0, text.indexOf("\r\n"));
        if (requestLine.startsWith("POST /v1/chat/completions ")) {
          int n = chats.getAndIncrement();
          socket.write(Buffer.buffer(answers[n % answers.length])).onComplete(ar -> socket.close());
        } else if (requestLine.startsWith("GET /health ")) {
          socket.write(Buffer.buffer(health));
        } else {
          socket.write(Buffer.buffer("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
        }
      });
    }
  }
}
