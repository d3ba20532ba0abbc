package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whatever a client sends, the answer is never a 500 and always OpenAI-shaped: bodies in the wrong
 * Unicode encoding, a byte order mark, {@code OPTIONS *}, {@code HEAD}, and a few hundred seeded
 * mutations of valid bodies (cut, spliced, retyped, binary) all get a proper status and envelope.
 */
@ExtendWith(BlockedLoopGuard.class)
class BadInputTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    gw = TestGateway.builder()
        // llama.cpp is the engine that answers hard type errors with 500: a body the gateway lets through wrongly shows.
        .sim("fast-1", SimOptions.defaults("llamacpp").withModel("m").withTtftBaseMs(1).withPrefillTps(10_000_000)
            .withDecodeTps(50_000).withDenseBatching(false).withContextWindow(4096))
        .config("""
            server: { port: 0, instances: 2, maxBodyBytes: 1000000 }
            health: { intervalMs: 600000, timeoutMs: 5000 }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: llamacpp, model: m, contextWindow: 4096 }]
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static TestGateway.Reply post(byte[] body, String contentType) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
        .setURI("/v1/chat/completions").putHeader("content-type", contentType);
    return TestGateway.await(gw.onLoop(() -> gw.client().request(o).compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(), b.toString())))));
  }

  static JsonObject openAiError(TestGateway.Reply r) {
    JsonObject body = new JsonObject(r.body());
    JsonObject err = body.getJsonObject("error");
    assertNotNull(err, r.body());
    assertTrue(err.getValue("message") instanceof String m && !m.isBlank(), r.body());
    assertTrue(err.getValue("type") instanceof String, r.body());
    assertTrue(err.containsKey("param") && err.containsKey("code"), "OpenAI's envelope has param and code, even null: " + r.body());
    assertNotNull(r.header("x-tiergate-request-id"), "errors carry the request id");
    return err;
  }

  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  static byte[] bytes(byte[] bom, String text, Charset cs) {
    byte[] t = text.getBytes(cs);
    byte[] out = new byte[bom.length + t.length];
    System.arraycopy(bom, 0, out, 0, bom.length);
    System.arraycopy(t, 0, out, bom.length, t.length);
    return out;
  }

  static byte[] hex(String h) {
    byte[] b = new byte[h.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  @ParameterizedTest
  @CsvSource({"UTF-16BE,", "UTF-16BE,FEFF", "UTF-16LE,", "UTF-16LE,FFFE", "UTF-32BE,", "UTF-32BE,0000FEFF", "UTF-32LE,",
      "UTF-32LE,FFFE0000"})
  void aJsonBodyInUtf16OrUtf32IsA400(String charset, String bom) {
    byte[] body = bytes(bom == null ? new byte[0] : hex(bom), CHAT, Charset.forName(charset));
    TestGateway.Reply r = post(body, "application/json");
    assertEquals(400, r.status(), r.body());
    JsonObject err = openAiError(r);
    assertEquals("invalid_request_error", err.getString("type"));
    assertTrue(err.getString("message").contains("UTF-8"), err.encode());
  }

  @Test
  void aUtf8ByteOrderMarkIsA400ThatSaysSo() {
    TestGateway.Reply r = post(bytes(hex("EFBBBF"), CHAT, StandardCharsets.UTF_8), "application/json; charset=utf-8");
    assertEquals(400, r.status(), r.body());
    assertTrue(openAiError(r).getString("message").contains("byte order mark"), r.body());
    assertEquals(200, post(CHAT.getBytes(StandardCharsets.UTF_8), "application/json").status(), "the same body without it is fine");
  }

  @Test
  void optionsAndHeadAreAnsweredWithoutABody() {
    try (RawClient c = RawClient.connect(gw.port())) {
      c.write("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n"
          + "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nOrigin: http://example.com\r\n"
          + "Access-Control-Request-Method: POST\r\n\r\n"
          + "HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
          // Read after the HEAD: had the HEAD sent a body, this response would be garbled.
          + "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      RawClient.Response star = c.read();
      assertEquals(204, star.status());
      assertTrue(star.header("allow").contains("POST") && star.header("allow").contains("GET"), star.headers().toString());
      assertNotNull(star.header("x-tiergate-request-id"));
      RawClient.Response chat = c.read();
      assertEquals(204, chat.status());
      assertEquals("POST, OPTIONS", chat.header("allow"));
      RawClient.Response head = c.read(true);
      assertEquals(200, head.status());
      RawClient.Response get = c.read();
      assertEquals(200, get.status());
      assertEquals("ok", new JsonObject(get.body()).getString("status"), get.body());
    }
    for (String path : new String[] {"/health", "/ready", "/v1/models", "/tiergate/status", "/metrics"}) {
      TestGateway.Reply r = TestGateway.await(gw.onLoop(() -> gw.client().request(HttpMethod.HEAD, gw.port(), "127.0.0.1", path)
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(),
              b.toString()))))));
      assertEquals(200, r.status(), path);
      assertEquals("", r.body(), path);
    }
  }

  /** Inputs that broke parsers elsewhere: each must be a 4xx (or a 200), never a 5xx. */
  static final String[] EDGES = {
      "", "{", "}", "null", "[]", "\"x\"", "1e999", "{}", "{\"messages\":[]}",
      "{\"model\":\"m\",\"messages\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1e400}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":99999999999999999999999}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":-1}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2.5}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":NaN}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}],\"max_tokens\":2}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}],\"max_tokens\":2}",
      "{\"model\":\"m\",\"model\":7,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} {}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],}",
      "{\"model\":\"m\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
      "{\"model\":\"m\",\"stream\":true,\"stream_options\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[]}],\"max_tokens\":2}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{\"1\":\"x\"}}",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":0}",
  };

  @Test
  void seededMutationsOfValidBodiesNeverGetA5xxAndAlwaysAnOpenAiShape() {
    long internalBefore = GatewayState.internalErrors(gw);
    List<byte[]> bodies = new ArrayList<>();
    for (String e : EDGES) {
      bodies.add(e.getBytes(StandardCharsets.UTF_8));
    }
    Random rnd = new Random(20261130L);
    String[] seeds = {
        CHAT,
        "{\"model\":\"m\",\"stream\":true,\"max_tokens\":2,\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}",
        "{\"model\":\"m\",\"max_tokens\":2,\"temperature\":0.5,\"stop\":[\"x\"],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
            + "{\"name\":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"ok\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}]}",
    };
    for (int i = 0; i < 300; i++) {
      bodies.add(mutate(seeds[rnd.nextInt(seeds.length)], rnd));
    }
    int ok = 0;
    for (int i = 0; i < bodies.size(); i++) {
      byte[] body = bodies.get(i);
      String shown = "#" + i + " " + new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
      TestGateway.Reply r = post(body, "application/json");
      assertTrue(r.status() < 500, shown + " -> " + r.status() + " " + r.body());
      assertTrue(r.status() == 200 ? answered(r) : r.status() >= 400 && openAiShaped(r), shown + " -> " + r.status() + " " + r.body());
      ok += r.status() == 200 ? 1 : 0;
    }
    assertTrue(ok > 20 && bodies.size() - ok > 100, "the mutations exercised both paths: ok " + ok + " of " + bodies.size());
    assertEquals(internalBefore, GatewayState.internalErrors(gw), "no unexpected exception in the gateway");
    Wire.awaitNothingInFlight(gw);
  }

  /** A 200 is a chat completion, or a stream of chunks without error events that ends with [DONE]. */
  static boolean answered(TestGateway.Reply r) {
    try {
      if (r.header("content-type").startsWith("text/event-stream")) {
        return Wire.endsWithDone(r.body()) && Wire.errors(r.body()).isEmpty()
            && Wire.events(r.body()).stream().allMatch(e -> "chat.completion.chunk".equals(e.getString("object")));
      }
      JsonObject c = new JsonObject(r.body());
      return "chat.completion".equals(c.getString("object")) && c.getValue("choices") instanceof JsonArray a && !a.isEmpty();
    } catch (RuntimeException | AssertionError malformed) {
      return false;
    }
  }

  /** OpenAI's error envelope: a message and a type, param and code present (maybe null), and our request id. */
  static boolean openAiShaped(TestGateway.Reply r) {
    JsonObject err;
    try {
      err = new JsonObject(r.body()).getJsonObject("error");
    } catch (RuntimeException notJson) {
      return false;
    }
    return err != null && err.getValue("message") instanceof String m && !m.isBlank() && err.getValue("type") instanceof String
        && err.containsKey("param") && err.containsKey("code") && r.header("x-tiergate-request-id") != null;
  }

  static final String[] VALUES = {"null", "true", "0", "-1", "1.5", "\"\"", "\"x\"", "[]", "{}", "[null]", "{\"a\":1}",
      "\"user\"", "\"assistant\"", "\"tool\"", "2147483648", "[\"s\"]"};

  static final String JSONISH = "{}[],:\"\\ 0aeE-\u0000";

  /** One random change: byte-level damage or a value replaced by one of another type. */
  static byte[] mutate(String seed, Random rnd) {
    byte[] b = seed.getBytes(StandardCharsets.UTF_8);
    int at = rnd.nextInt(b.length);
    return switch (rnd.nextInt(7)) {
      case 0 -> splice(b, at, at + 1, new byte[0]);
      case 1 -> splice(b, at, at, new byte[] {(byte) JSONISH.charAt(rnd.nextInt(JSONISH.length()))});
      case 2 -> splice(b, at, at + 1, new byte[] {(byte) rnd.nextInt(256)});
      case 3 -> java.util.Arrays.copyOf(b, at);
      case 4 -> splice(b, at, at, java.util.Arrays.copyOfRange(b, rnd.nextInt(at + 1), at));
      default -> retyped(seed, rnd).getBytes(StandardCharsets.UTF_8);
    };
  }

  static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    byte[] out = new byte[b.length - (to - from) + insert.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(b, to, out, from + insert.length, b.length - to);
    return out;
  }

  /** Replaces the value at a random path of the seed's JSON tree with a value of a random type. */
  static String retyped(String seed, Random rnd) {
    JsonObject root = new JsonObject(seed);
    Object node = root;
    Object value = new JsonArray("[" + VALUES[rnd.nextInt(VALUES.length)] + "]").getValue(0);
    for (int depth = 0; depth < 6; depth++) {
      if (node instanceof JsonObject o && !o.isEmpty()) {
        String key = new ArrayList<>(o.fieldNames()).get(rnd.nextInt(o.size()));
        Object child = o.getValue(key);
        if (!(child instanceof JsonObject || child instanceof JsonArray) || rnd.nextInt(3) == 0) {
          o.put(key, value);
          return root.encode();
        }
        node = child;
      } else if (node instanceof JsonArray a && !a.isEmpty()) {
        int i = rnd.nextInt(a.size());
        Object child = a.getValue(i);
        if (!(child instanceof JsonObject || child instanceof JsonArray) || rnd.nextInt(3) == 0) {
          a.set(i, value);
          return root.encode();
        }
        node = child;
      } else {
        break;
      }
    }
    return root.put("extra", value).encode();
  }
}
