package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.FakeEngine;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway's credentials for an engine never reach a client, the status page or a log line, even
 * when the engine echoes them; an engine refusing them is the operator's problem, said plainly; the
 * client's own credentials stay with the gateway; and a password in a backend URL is refused
 * without being repeated.
 */
@ExtendWith(BlockedLoopGuard.class)
class SecretsTest {
  static final String KEY = "sk-backend-Zq81xT4kWm2pL9vR";
  static final Logger GATEWAY_LOGS = Logger.getLogger("dev.tiergate");
  static final List<String> LOGGED = new ArrayList<>();
  static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      String line = new SimpleFormatter().formatMessage(r) + (r.getThrown() == null ? "" : " " + r.getThrown());
      synchronized (LOGGED) {
        LOGGED.add(line);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  static Vertx engines;
  static FakeEngine echo;
  static FakeEngine echoAll;
  static FakeEngine refuses;
  static FakeEngine capture;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    GATEWAY_LOGS.addHandler(CAPTURE);
    engines = Vertx.vertx();
    // Answers generations with an error that quotes the Authorization header it received: echo-1 spares the
    // prober's one-token request (so it stays routed), echo-2 answers that one the same way (so it goes down).
    echo = FakeEngine.start(engines).on("POST", "/v1/chat/completions", (req, body) -> {
      if (body.toString().contains("\"ping\"")) {
        FakeEngine.json(req, 200, FakeEngine.completion("pong"));
      } else {
        echoCredentials(req, body);
      }
    });
    // The key 185 bytes into the body: a verdict that quotes 200 bytes of it would cut the key in two.
    echoAll = FakeEngine.start(engines).on("POST", "/v1/chat/completions", (req, body) -> FakeEngine.json(req, 500,
        "{\"error\":{\"message\":\"" + "x".repeat(133) + "auth failed for header '" + req.getHeader("authorization")
        + "'\",\"type\":\"server_error\",\"code\":500}}"));
    refuses = FakeEngine.start(engines).on("POST", "/v1/chat/completions",
        (req, body) -> FakeEngine.json(req, 401, "{\"error\":{\"message\":\"Invalid API key\",\"type\":\"authentication_error\"}}"));
    capture = FakeEngine.start(engines).on("POST", "/v1/chat/completions",
        (req, body) -> FakeEngine.json(req, 200, FakeEngine.completion("ok")));
    gw = TestGateway.builder()
        .config("""
            health: { intervalMs: 100, timeoutMs: 500, deepProbeTimeoutMs: 500, failureThreshold: 50, cooldownMs: 60000 }
            routing: { defaultTier: echo }
            tiers:
              - name: echo
                fallback: []
                backends: [{ name: echo-1, url: "%s", engine: vllm, model: m, contextWindow: 32768, apiKey: "%s" }]
              - name: echoall
                fallback: []
                backends: [{ name: echo-2, url: "%s", engine: vllm, model: m, contextWindow: 32768, apiKey: "%s" }]
              - name: refuses
                fallback: []
                backends: [{ name: refuses-1, url: "%s", engine: vllm, model: m, contextWindow: 32768, apiKey: "%s" }]
              - name: capture
                fallback: []
                backends: [{ name: capture-1, url: "%s", engine: vllm, model: m, contextWindow: 32768, apiKey: "%s" }]
            """.formatted(echo.url(), KEY, echoAll.url(), KEY, refuses.url(), KEY, capture.url(), KEY))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the probes saw every backend ready", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
  }

  @AfterAll
  static void stop() {
    gw.close();
    echo.close();
    echoAll.close();
    refuses.close();
    capture.close();
    TestGateway.await(engines.close());
    GATEWAY_LOGS.removeHandler(CAPTURE);
  }

  static void echoCredentials(HttpServerRequest req, Buffer body) {
    String said = "auth failed for header '" + req.getHeader("authorization") + "'";
    if ("mid".equals(req.getHeader("x-fake"))) {
      FakeEngine.sseHead(req);
      req.response().write(FakeEngine.event(FakeEngine.chunk("partial")));
      req.response().end(FakeEngine.event("{\"error\":{\"message\":\"" + said + "\",\"type\":\"server_error\",\"code\":500}}"));
      return;
    }
    FakeEngine.json(req, 500, "{\"error\":{\"message\":\"" + said + "\",\"type\":\"server_error\",\"code\":500}}");
  }

  static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static List<String> logged() {
    synchronized (LOGGED) {
      return new ArrayList<>(LOGGED);
    }
  }

  @Test
  void anEngineEchoingTheBackendKeyNeverShowsItToClients() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false));
    assertEquals(502, r.status(), r.body());
    assertTrue(echo.seen("/v1/chat/completions").get(0).headers().get("authorization").contains(KEY), "the engine did get the key");
    assertFalse(r.body().contains(KEY), r.body());
    assertTrue(r.body().contains("[redacted]"), "the rest of the engine's message is kept: " + r.body());
    assertFalse(String.valueOf(r.header("x-tiergate-failed")).contains(KEY));

    Wire.Reader mid = Wire.Reader.open(gw, "/v1/chat/completions", chat(true), "x-fake", "mid");
    String sse = mid.awaitEnd();
    assertEquals("partial", Wire.joined(sse, "content"));
    assertEquals(1, Wire.errors(sse).size(), sse);
    assertFalse(sse.contains(KEY), sse);
    assertTrue(sse.contains("[redacted]"), sse);
    Wire.awaitNothingInFlight(gw);
  }

  @Test
  void anEngineEchoingTheBackendKeyToTheDeepProbeNeverShowsItInStatusMetricsOrLogs() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false), "x-tiergate-tier", "echoall");
    assertEquals(502, r.status(), r.body());
    // The engine error made it suspect: the deep probe gets the same echo, which becomes the status's lastError.
    Wire.await("the deep probe took echo-2 out", 5_000, () -> gw.gateway().services().fleet().get("echo-2").health() == Health.DOWN);
    // Not even a piece of the key: the engine's text is cut to 200 bytes in the verdict, right through it.
    String piece = KEY.substring(0, 14);
    JsonObject s = GatewayState.backend(gw, "echo-2");
    assertTrue(s.getString("lastError").contains("one-token request was answered 500"), s.encode());
    assertFalse(s.encode().contains(piece), s.encode());
    assertFalse(gw.get("/metrics").body().contains(piece), "nor in a metric label");
    List<String> lines = logged();
    assertTrue(lines.stream().anyMatch(l -> l.contains("echo-2")), "the state change was logged: " + lines);
    assertTrue(lines.stream().noneMatch(l -> l.contains(piece)), "a log line carries the key: "
        + lines.stream().filter(l -> l.contains(piece)).findFirst().orElse(""));
    Wire.awaitNothingInFlight(gw);
  }

  @Test
  void anEngineRefusingTheGatewaysCredentialsIs502UpstreamAuthFailedAndCharged() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false), "x-tiergate-tier", "refuses");
    assertEquals(502, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("upstream_auth_failed", err.getString("code"), r.body());
    assertTrue(err.getString("message").contains("apiKey"), "it tells who must act: " + r.body());
    assertFalse(r.body().contains(KEY), r.body());
    assertEquals(1, GatewayState.backend(gw, "refuses-1").getInteger("consecutiveFailures"), "an auth refusal counts");
    Wire.awaitNothingInFlight(gw);
  }

  @Test
  void theClientsCredentialsNeverReachTheEngine() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false), "x-tiergate-tier", "capture",
        "Authorization", "Bearer client-token-1", "X-Api-Key", "client-token-2", "api-key", "client-token-3",
        "Proxy-Authorization", "Basic Y2xpZW50LXRva2VuLTQ=", "Cookie", "session=client-token-5",
        "X-Trace-Id", "trace-77");
    assertEquals(200, r.status(), r.body());
    MultiMap got = capture.seen("/v1/chat/completions").get(0).headers();
    for (Map.Entry<String, String> h : got) {
      assertFalse(h.getValue().contains("client-token") || h.getValue().contains("Y2xpZW50"), h.getKey() + ": " + h.getValue());
    }
    for (String name : new String[] {"x-api-key", "api-key", "proxy-authorization", "cookie", "x-tiergate-tier"}) {
      assertNull(got.get(name), name + " reached the engine");
    }
    assertEquals("Bearer " + KEY, got.get("authorization"), "only the gateway's own credentials");
    assertEquals("trace-77", got.get("x-trace-id"), "end-to-end headers do pass");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "http://admin:Pw9secretX@127.0.0.1:8000",
      "http://:Pw9secretX@127.0.0.1:8000/v1",
      "http://admin:Pw9secretX@vllm_fast:8000",
      "http://admin:Pw9@secretX@127.0.0.1:8000",
      "http://admin:Pw9secretX@/v1",
      "https://admin:Pw9secretX@127.0.0.1:80a",
      "ftp://admin:Pw9secretX@127.0.0.1",
      "http://admin:Pw9 secretX@127.0.0.1:8000",
  })
  void aBackendUrlWithAPasswordIsRefusedWithoutRepeatingIt(String url) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.withEnv(Map.of("URL", url)).parse("test", """
        routing: { defaultTier: fast }
        tiers:
          - name: fast
            backends: [{ name: fast-1, url: "${URL}", engine: vllm, model: m }]
        """));
    assertTrue(e.getMessage().contains("tiers[0].backends[0].url"), e.getMessage());
    assertFalse(e.getMessage().contains("secretX"), "the password is repeated: " + e.getMessage());
  }
}
