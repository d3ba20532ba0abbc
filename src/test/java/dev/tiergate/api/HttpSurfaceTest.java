package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.RawHttp;
import dev.tiergate.testing.ReplayServer;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Transcript;
import dev.tiergate.testing.Wire;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's promises about the HTTP surface, checked over the wire: which client headers reach
 * the engine, 405 for a wrong method, and the cap on a buffered upstream answer. The engine is a
 * replay of a real llama.cpp server that records what it was sent.
 */
@ExtendWith(BlockedLoopGuard.class)
class HttpSurfaceTest {
  static ReplayServer engine;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    engine = ReplayServer.llamacppWithoutProps();
    gw = TestGateway.builder()
        .env("ENGINE", engine.url())
        .config("""
            server: { port: 0, instances: 2, maxResponseBytes: 4096 }
            health: { intervalMs: 600000 }
            routing: { defaultTier: llama }
            tiers:
              - name: llama
                fallback: []
                backends: [{ name: llama-1, url: "${ENGINE}", engine: llamacpp, model: tiny }]
            """)
        .start();
    for (int i = 0; i < 3; i++) {
      gw.post("/v1/chat/completions", chat(false), "x-replay", "05_chat_nonstream");
      gw.post("/v1/chat/completions", chat(true), "x-replay", "06a_chat_stream_usage");
    }
  }

  @AfterAll
  static void stop() {
    gw.close();
    engine.close();
  }

  static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  /** Sends one request by hand with the given header lines and returns the headers the engine received. */
  static MultiMap engineSaw(boolean stream, String... headerLines) {
    int before = engine.received("/v1/chat/completions").size();
    String replay = stream ? "06a_chat_stream_usage" : "05_chat_nonstream";
    String[] lines = new String[headerLines.length + 1];
    lines[0] = "x-replay: " + replay;
    System.arraycopy(headerLines, 0, lines, 1, headerLines.length);
    try (RawHttp http = RawHttp.connect(gw.port())) {
      String answer = http.send(RawHttp.post("/v1/chat/completions", chat(stream), lines))
          .readUntil(s -> stream ? s.contains("data: [DONE]") : s.contains("\"timings\""), 10_000);
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    }
    List<ReplayServer.Received> after = engine.received("/v1/chat/completions");
    assertEquals(before + 1, after.size(), "the engine got the request");
    return after.get(after.size() - 1).headers();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void endToEndHeadersReachTheEngineAsSent(boolean stream) {
    MultiMap seen = engineSaw(stream, "X-Request-Id: req-42", "Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "OpenAI-Organization: org-1", "User-Agent: raw-test/1.0", "X-Custom-Thing: a b c");
    assertEquals("req-42", seen.get("x-request-id"));
    assertEquals("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", seen.get("traceparent"));
    assertEquals("org-1", seen.get("openai-organization"));
    assertEquals("raw-test/1.0", seen.get("user-agent"));
    assertEquals("a b c", seen.get("x-custom-thing"));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void credentialsCookiesHopByHopAndTheGatewaysOwnHeadersStopAtTheGateway(boolean stream) {
    MultiMap seen = engineSaw(stream, "Cookie: session=abc", "Authorization: Bearer client-secret",
        "Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Connection: keep-alive", "Keep-Alive: timeout=5",
        "TE: trailers", "Trailer: X-Checksum", "Upgrade: websocket",
        "x-tiergate-tier: llama", "x-tiergate-strict: true", "X-Tiergate-Debug: 1", "X-Request-Id: passes");
    for (String dropped : new String[] {"cookie", "authorization", "proxy-authorization", "proxy-connection", "keep-alive",
        "te", "trailer", "upgrade", "x-tiergate-tier", "x-tiergate-strict", "x-tiergate-debug"}) {
      assertNull(seen.get(dropped), dropped + " reached the engine: " + seen);
    }
    assertEquals("passes", seen.get("x-request-id"), "the rest did pass: " + seen);
    assertFalse(String.valueOf(seen.get("cookie")).contains("session"));
  }

  @Test
  void headersTheClientNamesInConnectionAreHopByHopToo() {
    // RFC 9110 7.6.1: a proxy drops the headers the Connection header names, not only the fixed list.
    MultiMap seen = engineSaw(false, "Connection: keep-alive, X-Hop-Secret", "X-Hop-Secret: for-the-next-hop-only");
    assertNull(seen.get("x-hop-secret"), "a header named in Connection reached the engine: " + seen);
    assertFalse(String.valueOf(seen.get("connection")).toLowerCase().contains("x-hop-secret"), seen.toString());
  }

  @ParameterizedTest
  @CsvSource({"GET,/v1/chat/completions", "PUT,/v1/completions", "DELETE,/v1/chat/completions", "POST,/v1/models",
      "POST,/health", "POST,/ready", "POST,/tiergate/status", "POST,/metrics"})
  void aWrongMethodIs405InOpenAisShape(String method, String path) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.valueOf(method)).setHost("127.0.0.1").setPort(gw.port())
        .setURI(path).putHeader("content-type", "application/json");
    TestGateway.Reply r = TestGateway.await(gw.onLoop(() -> gw.client().request(o).compose(req -> req.send("{}")
        .compose(resp -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(), b.toString()))))));
    assertEquals(405, r.status(), r.body());
    JsonObject body = new JsonObject(r.body());
    assertEquals(Set.of("error"), body.fieldNames());
    JsonObject err = body.getJsonObject("error");
    assertEquals(Set.of("message", "type", "param", "code"), err.fieldNames(), r.body());
    assertEquals("method_not_allowed", err.getString("code"));
    assertEquals("invalid_request_error", err.getString("type"));
    assertTrue(err.getString("message").contains(method), err.encode());
  }

  @Test
  void aBufferedAnswerOverMaxResponseBytesIsAnUpstreamErrorNotATruncatedBody() {
    Transcript big = Transcript.llamacpp("08e_chat_max_tokens_over_ctx");
    assertTrue(big.body().length > 4096, "the capture is larger than the cap: " + big.body().length);
    Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false), "x-replay", big.name());
    assertEquals(502, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("upstream_response_too_large", err.getString("code"));
    assertEquals("upstream_error", err.getString("type"));
    assertTrue(err.getString("message").contains("4096"), err.encode());
    outcomes.expect("upstream_error", 1);

    Transcript small = Transcript.llamacpp("05_chat_nonstream");
    assertTrue(small.body().length < 4096);
    TestGateway.Reply ok = gw.post("/v1/chat/completions", chat(false), "x-replay", small.name());
    assertEquals(200, ok.status(), ok.body());
  }

  @Test
  void aStreamIsNotBufferedSoTheCapDoesNotApply() {
    Transcript long30k = Transcript.llamacpp("06c_chat_stream_long");
    assertTrue(long30k.body().length > 4096 * 5);
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true), "x-replay", long30k.name());
    assertEquals(200, r.status(), r.body());
    assertTrue(Wire.endsWithDone(r.body()));
    assertEquals("stop", Wire.finishReason(r.body()));
    assertTrue(r.body().length() > 4096 * 5, "the whole stream: " + r.body().length());
  }
}
