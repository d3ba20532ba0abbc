package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.TestGateway.Reply;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.w3c.dom.Document;

/**
 * The operator console without keys: the page, the snapshot after known traffic, the bound on live
 * viewers and their cleanup on disconnect, and report publishing.
 */
@ExtendWith(BlockedLoopGuard.class)
class ConsoleTest {
  static final String REPORT = """
      {"tiers":[
        {"tier":"fast","axes":{"TTFT ms":{"median":190,"min":180,"max":200,"n":3},
          "decode prose t/s":{"median":78,"min":77,"max":80,"n":3}},"promptTokens":{},"wins":["decode prose t/s"],"notes":[]},
        {"tier":"max","axes":{"TTFT ms":{"median":150,"min":140,"max":160,"n":3},
          "decode prose t/s":{"median":69,"min":68,"max":70,"n":3}},"promptTokens":{},"wins":["TTFT ms"],"notes":["a <note> & more"]}],
       "axes":[{"name":"TTFT ms","higherIsBetter":false,"judged":true},{"name":"decode prose t/s","higherIsBetter":true,"judged":true}],
       "verdict":["fast wins decode"],"caption":"measured in a test"}
      """;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(5).withPrefillTps(1_000_000).withDecodeTps(2000)
        .withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("fast-1", sim).sim("max-1", sim)
        .config("""
            console: { maxViewers: 2, pushMs: 200 }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: max
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
            """)
        .start();
    // Every path once before the blocked-loop guard watches (first use loads classes on the loops).
    gw.get("/");
    gw.get("/tiergate/console/state");
    gw.post("/tiergate/report", "x");
    Wire.Reader r = Wire.Reader.get(gw, "/tiergate/events");
    r.awaitText("event: snapshot", 5_000);
    r.closeConnection();
    Wire.await("the warm-up viewer is gone", 5_000, () -> gw.gateway().console().viewers() == 0);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static String chat(String content) {
    return "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":8,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  @Test
  void thePageIsStaticOpenAndLockedDown() {
    for (String path : List.of("/", "/tiergate/", "/tiergate")) {
      Reply r = gw.get(path);
      assertEquals(200, r.status(), path);
      assertTrue(r.header("content-type").startsWith("text/html"), path);
      assertTrue(r.body().contains("/tiergate/console.js"), path);
      assertTrue(r.body().contains("data-keys=\"false\""), "the page knows no key is needed");
      assertTrue(r.header("content-security-policy").contains("script-src 'self'"), path);
      assertEquals("DENY", r.header("x-frame-options"));
    }
    assertEquals(200, gw.get("/tiergate/console.js").status());
    assertTrue(gw.get("/tiergate/console.css").header("content-type").startsWith("text/css"));
  }

  @Test
  void theSnapshotCountsKnownTrafficPerTier() {
    JsonObject before = new JsonObject(gw.get("/tiergate/console/state").body());
    int fast0 = recent(before, 0).getInteger("requests");
    int max0 = recent(before, 1).getInteger("requests");
    for (int i = 0; i < 5; i++) {
      assertEquals(200, gw.post("/v1/chat/completions", chat("hello"), "x-tiergate-tier", "fast").status());
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(200, gw.post("/v1/chat/completions", chat("hello"), "x-tiergate-tier", "max").status());
    }
    // The snapshot is shared for half a push interval: wait for a fresh one.
    Wire.await("a snapshot with the new requests", 5_000, () -> {
      JsonObject s = new JsonObject(gw.get("/tiergate/console/state").body());
      return recent(s, 0).getInteger("requests") == fast0 + 5 && recent(s, 1).getInteger("requests") == max0 + 3;
    });
    JsonObject s = new JsonObject(gw.get("/tiergate/console/state").body());
    JsonObject fast = recent(s, 0);
    assertTrue(fast.getDouble("ttftP50Ms") > 0, fast.encode());
    assertTrue(fast.getDouble("ttftP95Ms") >= fast.getDouble("ttftP50Ms"), fast.encode());
    assertTrue(fast.getDouble("ratePerS") > 0, fast.encode());
    assertEquals(30, fast.getJsonObject("series").getJsonArray("requests").size());
    assertEquals("ready", s.getString("status"));
    assertEquals(0, s.getInteger("inflight"));
    assertEquals(0, s.getInteger("waiting"));
    assertFalse(s.getBoolean("actions"), "no keys and no lifecycle.adminEndpoints: no operator actions");
    JsonObject status = new JsonObject(gw.get("/tiergate/status").body());
    assertEquals(status.getJsonArray("tiers").getJsonObject(0).getJsonArray("backends").getJsonObject(0).getString("state"),
        s.getJsonArray("tiers").getJsonObject(0).getJsonArray("backends").getJsonObject(0).getString("state"));
  }

  @Test
  void viewersAreBoundedAndGoneOnDisconnect() {
    Console console = gw.gateway().console();
    Wire.Reader a = Wire.Reader.get(gw, "/tiergate/events");
    Wire.Reader b = Wire.Reader.get(gw, "/tiergate/events");
    assertEquals(200, a.response.statusCode());
    assertTrue(a.response.getHeader("content-type").startsWith("text/event-stream"));
    a.awaitText("event: snapshot", 5_000);
    b.awaitText("event: snapshot", 5_000);
    assertEquals(2, console.viewers());

    Reply third = gw.get("/tiergate/events");
    assertEquals(503, third.status());
    JsonObject error = new JsonObject(third.body()).getJsonObject("error");
    assertEquals("service_unavailable_error", error.getString("type"));
    assertEquals("server_overloaded", error.getString("code"));
    assertTrue(error.getString("message").contains("console.maxViewers"), error.encode());
    assertNotNull(third.header("retry-after"));

    // pushed again and again, not once
    Wire.await("a second snapshot", 5_000, () -> a.body().split("event: snapshot").length > 2);
    a.closeConnection();
    Wire.await("the closed viewer is removed", 5_000, () -> console.viewers() == 1);
    Wire.Reader c = Wire.Reader.get(gw, "/tiergate/events");
    assertEquals(200, c.response.statusCode());
    c.awaitText("event: snapshot", 5_000);
    b.closeConnection();
    c.closeConnection();
    Wire.await("every viewer is removed", 5_000, () -> console.viewers() == 0);
  }

  @Test
  void aPublishedReportIsCheckedAndDrawnByTheGateway() throws Exception {
    for (String bad : List.of("not json", "[1,2]", "{\"tiers\":", "")) {
      Reply r = gw.post("/tiergate/report", bad);
      assertEquals(400, r.status(), bad + ": " + r.body());
      assertEquals("invalid_request_error", new JsonObject(r.body()).getJsonObject("error").getString("type"), bad);
    }
    Reply notAReport = gw.post("/tiergate/report", "{\"hello\":1}");
    assertEquals(400, notAReport.status());
    assertTrue(new JsonObject(notAReport.body()).getJsonObject("error").getString("message").contains("tiers"), notAReport.body());

    Reply huge = gw.post("/tiergate/report", "{\"tiers\":[" + " ".repeat(1_100_000) + "]}");
    assertEquals(413, huge.status());
    assertEquals("payload_too_large", new JsonObject(huge.body()).getJsonObject("error").getString("code"));

    Reply ok = gw.post("/tiergate/report", REPORT);
    assertEquals(200, ok.status(), ok.body());
    assertEquals("published", new JsonObject(ok.body()).getString("source"));
    JsonObject shown = new JsonObject(gw.get("/tiergate/report").body());
    assertEquals(List.of("fast", "max"), shown.getJsonArray("tiers").getList());
    String svg = shown.getString("svg");
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertTrue(svg.contains("data-tier=\"fast\"") && svg.contains("data-tier=\"max\""), svg);
    assertTrue(svg.contains("measured in a test"), "the caption is drawn");
    assertFalse(svg.contains("<note>"), "report text is escaped");
    JsonObject state = new JsonObject(gw.get("/tiergate/console/state").body());
    Wire.await("the snapshot names the report", 5_000,
        () -> new JsonObject(gw.get("/tiergate/console/state").body()).getValue("report") != null);
    assertNotNull(state);
  }

  static JsonObject recent(JsonObject snapshot, int tier) {
    return snapshot.getJsonObject("recent").getJsonArray("tiers").getJsonObject(tier);
  }
}
