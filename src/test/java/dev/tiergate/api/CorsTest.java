package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.RawClient;
import dev.tiergate.testing.TestGateway;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CORS over the wire: preflights from allowed and other origins, and the allow-origin and exposed
 * headers on every kind of answer a browser page can get (served, streamed, refused before the body
 * was read, too large, over its rate, failed upstream), with a list of origins, with {@code "*"},
 * and with CORS off (the default), where nothing changes.
 */
@ExtendWith(BlockedLoopGuard.class)
class CorsTest {
  static final String PAGE = "https://chat.example.com";
  static final String KEY = "alice-key-0123456789abcdef";
  static final String TIGHT = "carl-key-0123456789abcdef01";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static final String STREAM = CHAT.replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"");
  static final String TIERS = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          fallback: []
          backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
      """;

  static TestGateway listed;
  static TestGateway star;
  static TestGateway off;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(10_000_000).withDecodeTps(5000)
        .withDenseBatching(false);
    listed = TestGateway.builder().sim("fast-1", sim).env("KEY", KEY).env("TIGHT", TIGHT)
        .config("""
            server:
              port: 0
              instances: 2
              maxBodyBytes: 4096
              cors: { allowOrigins: ["https://chat.example.com", "http://localhost:5173"], maxAgeSeconds: 120 }
            auth:
              keys:
                - { name: alice, key: "${KEY}", rpm: 100000, tpm: 100000000 }
                - { name: carl, key: "${TIGHT}", rpm: 1 }
            """ + TIERS)
        .start();
    star = TestGateway.builder().sim("fast-1", sim).config("server: { port: 0, cors: { allowOrigins: \"*\" } }\n" + TIERS).start();
    off = TestGateway.builder().sim("fast-1", sim).config(TIERS).start();
    // Every path once before the blocked-loop guard watches: first use loads classes on the loops.
    for (TestGateway gw : List.of(listed, star, off)) {
      send(gw, preflight("/v1/chat/completions", PAGE, "authorization"));
      send(gw, RawClient.post("/v1/chat/completions", CHAT, "Origin", PAGE, "Authorization", "Bearer " + KEY));
      send(gw, RawClient.post("/v1/chat/completions", STREAM, "Origin", PAGE, "Authorization", "Bearer " + KEY));
    }
  }

  @AfterAll
  static void stop() {
    for (TestGateway gw : new TestGateway[] {listed, star, off}) {
      if (gw != null) {
        gw.close();
      }
    }
  }

  static RawClient.Response send(TestGateway gw, String raw) {
    try (RawClient c = RawClient.connect(gw.port())) {
      return c.write(raw).read();
    }
  }

  static String preflight(String path, String origin, String requestHeaders) {
    return "OPTIONS " + path + " HTTP/1.1\r\nHost: localhost\r\nOrigin: " + origin + "\r\nAccess-Control-Request-Method: POST\r\n"
        + (requestHeaders == null ? "" : "Access-Control-Request-Headers: " + requestHeaders + "\r\n") + "\r\n";
  }

  static RawClient.Response chat(TestGateway gw, String body, String origin, String... headers) {
    String[] pairs = Arrays.copyOf(headers, headers.length + 2);
    pairs[headers.length] = "Origin";
    pairs[headers.length + 1] = origin;
    return send(gw, RawClient.post("/v1/chat/completions", body, pairs));
  }

  /** The page may read the answer, and every gateway header on it. */
  static void readableFrom(String origin, RawClient.Response r) {
    String all = r.status() + " " + r.headers();
    assertEquals(origin, r.header("access-control-allow-origin"), all);
    assertNull(r.header("access-control-allow-credentials"), all);
    List<String> exposed = Arrays.asList(r.header("access-control-expose-headers").split(", "));
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      String name = h.getKey();
      if (name.startsWith("x-tiergate-") || name.startsWith("x-ratelimit-") || name.equals("retry-after")) {
        assertTrue(exposed.contains(name), name + " is on the answer but hidden from the page: " + exposed);
      }
    }
    assertTrue(exposed.containsAll(List.of("x-tiergate-request-id", "x-tiergate-tier", "x-tiergate-reason",
        "x-ratelimit-remaining-requests", "retry-after")), exposed.toString());
  }

  static void hiddenFrom(RawClient.Response r) {
    String all = r.status() + " " + r.headers();
    for (String h : List.of("access-control-allow-origin", "access-control-expose-headers", "access-control-allow-methods",
        "access-control-allow-headers", "access-control-max-age", "access-control-allow-credentials")) {
      assertNull(r.header(h), h + ": " + all);
    }
  }

  @Test
  void aPreflightFromAListedOriginIsAllowedWithTheHeadersItAskedFor() {
    String asked = "authorization, content-type, x-api-key, x-tiergate-tier, x-tiergate-priority";
    RawClient.Response r = send(listed, preflight("/v1/chat/completions", PAGE, asked));
    String all = r.headers().toString();
    assertEquals(204, r.status(), all);
    assertEquals(PAGE, r.header("access-control-allow-origin"), all);
    assertEquals("GET, POST, OPTIONS", r.header("access-control-allow-methods"), all);
    assertEquals(asked, r.header("access-control-allow-headers"), "echoed: a '*' would not cover Authorization");
    assertEquals("120", r.header("access-control-max-age"), all);
    assertEquals("Origin", r.header("vary"), all);
    assertNull(r.header("access-control-allow-credentials"), all);
    assertNotNull(r.header("x-tiergate-request-id"), all);
    RawClient.Response other = send(listed, preflight("/v1/models", "http://localhost:5173", null));
    assertEquals("http://localhost:5173", other.header("access-control-allow-origin"), other.headers().toString());
    assertNull(other.header("access-control-allow-headers"), "nothing asked, nothing allowed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://evil.example", "https://chat.example.com.evil.example", "http://chat.example.com",
      "https://chat.example.com:8443", "null"})
  void aPreflightFromAnyOtherOriginGetsThePlainAnswerTheBrowserRefuses(String origin) {
    RawClient.Response r = send(listed, preflight("/v1/chat/completions", origin, "authorization"));
    assertEquals(204, r.status());
    assertEquals("POST, OPTIONS", r.header("allow"));
    hiddenFrom(r);
    assertEquals("Origin", r.header("vary"), "the answer depends on the origin even when it refuses");
  }

  @Test
  void withCorsOffAPreflightAndARequestAreAnsweredAsBefore() {
    RawClient.Response pre = send(off, preflight("/v1/chat/completions", PAGE, "authorization"));
    assertEquals(204, pre.status());
    assertEquals("POST, OPTIONS", pre.header("allow"));
    hiddenFrom(pre);
    RawClient.Response r = chat(off, CHAT, PAGE);
    assertEquals(200, r.status(), r.body());
    hiddenFrom(r);
    assertNull(r.header("vary"), r.headers().toString());
  }

  @Test
  void aServedAnswerIsReadableFromAListedOrigin() {
    RawClient.Response r = chat(listed, CHAT, PAGE, "Authorization", "Bearer " + KEY);
    assertEquals(200, r.status(), r.body());
    readableFrom(PAGE, r);
    assertEquals("Origin", r.header("vary"));
    assertEquals("fast", r.header("x-tiergate-tier"));
    assertNotNull(r.header("x-ratelimit-remaining-requests"), r.headers().toString());
  }

  @Test
  void aStreamIsReadableFromAListedOrigin() {
    RawClient.Response r = chat(listed, STREAM, "http://localhost:5173", "Authorization", "Bearer " + KEY);
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("text/event-stream"), r.headers().toString());
    assertTrue(r.body().contains("data: [DONE]"), r.body());
    readableFrom("http://localhost:5173", r);
  }

  @Test
  void aWrongKeyIsRefusedReadablyBeforeTheBodyIsRead() {
    RawClient.Response r = chat(listed, CHAT, PAGE, "Authorization", "Bearer not-a-key-0123456789abcdef");
    assertEquals(401, r.status(), r.body());
    readableFrom(PAGE, r);
    assertTrue(r.body().contains("invalid_api_key") || r.body().contains("\"error\""), r.body());
  }

  @Test
  void aBodyTooLargeIsRefusedReadably() {
    String big = CHAT.replace("hi", "x".repeat(8192));
    RawClient.Response r = chat(listed, big, PAGE, "Authorization", "Bearer " + KEY);
    assertEquals(413, r.status(), r.body());
    readableFrom(PAGE, r);
  }

  @Test
  void aRateLimitAndAnEngineFailureAreReadable() {
    chat(listed, CHAT, PAGE, "Authorization", "Bearer " + TIGHT);
    RawClient.Response limited = chat(listed, CHAT, PAGE, "Authorization", "Bearer " + TIGHT);
    assertEquals(429, limited.status(), limited.body());
    assertNotNull(limited.header("retry-after"), limited.headers().toString());
    readableFrom(PAGE, limited);
    RawClient.Response failed = chat(listed, CHAT, PAGE, "Authorization", "Bearer " + KEY, "x-sim-fault", "error-500");
    assertTrue(failed.status() >= 500, failed.status() + " " + failed.body());
    readableFrom(PAGE, failed);
  }

  @Test
  void modelsHealthAndAnUnknownPathAreReadable() {
    for (String path : List.of("/v1/models", "/health", "/v1/nope")) {
      RawClient.Response r = send(listed, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nOrigin: " + PAGE
          + "\r\nAuthorization: Bearer " + KEY + "\r\n\r\n");
      assertEquals(path.equals("/v1/nope") ? 404 : 200, r.status(), path + " " + r.body());
      readableFrom(PAGE, r);
    }
  }

  @Test
  void anAnswerToAnotherOriginOrToNoOriginCarriesNoPermission() {
    RawClient.Response r = chat(listed, CHAT, "https://evil.example", "Authorization", "Bearer " + KEY);
    assertEquals(200, r.status(), r.body());
    hiddenFrom(r);
    assertEquals("Origin", r.header("vary"), "a cache must not hand this answer to a listed page");
    RawClient.Response plain = send(listed, RawClient.post("/v1/chat/completions", CHAT, "Authorization", "Bearer " + KEY));
    assertEquals(200, plain.status(), plain.body());
    hiddenFrom(plain);
  }

  @Test
  void withTheStarEveryOriginMayCallAndTheAnswerDoesNotVary() {
    RawClient.Response pre = send(star, preflight("/v1/chat/completions", "https://anything.example", "authorization, content-type"));
    assertEquals(204, pre.status());
    assertEquals("*", pre.header("access-control-allow-origin"), pre.headers().toString());
    assertEquals("authorization, content-type", pre.header("access-control-allow-headers"));
    assertEquals("600", pre.header("access-control-max-age"), "the default");
    assertNull(pre.header("vary"), pre.headers().toString());
    RawClient.Response r = chat(star, STREAM, "http://localhost:3000");
    assertEquals(200, r.status(), r.body());
    readableFrom("*", r);
    assertNull(r.header("vary"), r.headers().toString());
    RawClient.Response plain = send(star, RawClient.post("/v1/chat/completions", CHAT));
    assertEquals(200, plain.status(), plain.body());
    hiddenFrom(plain);
  }
}
