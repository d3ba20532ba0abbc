package dev.tiergate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.DeadPort;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.TestGateway.Reply;
import dev.tiergate.testing.Wire;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live reload ({@code POST /tiergate/reload}, SIGHUP): a bad file changes nothing and says where; a
 * good one takes effect for new requests while the running ones finish where they started; removed
 * backends drain and leave {@code /metrics}; new ones are routed only once a probe found them ready.
 */
@ExtendWith(BlockedLoopGuard.class)
class ReloadTest {
  static final String SERVER = "server: { port: 0, instances: 2 }\n";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @TempDir
  Path dir;

  @BeforeAll
  static void warm(@TempDir Path scratch) throws Exception {
    JvmWarmUp.once();
    // A reload's first run loads its classes; on a busy machine that alone can hold a loop past the guard.
    try (TestGateway gw = TestGateway.builder().file(scratch.resolve("warm.yaml")).sim("fast-1", sim(5000)).sim("max-1", sim(5000))
        .config(TWO_TIERS).start()) {
      Files.writeString(scratch.resolve("warm.yaml"), SERVER + TWO_TIERS.replace("defaultTier: fast", "defaultTier: nowhere"));
      reload(gw);
      Files.writeString(scratch.resolve("warm.yaml"), SERVER + TWO_TIERS.replace("${SIM_FAST_1}", "${SIM_MAX_1}")
          .replace("routing: { defaultTier: fast }", "routing: { defaultTier: fast, rules: [{ name: w, when: { stream: true }, tier: max }] }"));
      reload(gw);
      Wire.warmUp(gw, "fast", "max");
      gw.get("/metrics");
    }
  }

  static SimOptions sim(double decodeTps) {
    return SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000).withDecodeTps(decodeTps)
        .withDenseBatching(false);
  }

  static String stream(int maxTokens) {
    return "{\"model\":\"m\",\"stream\":true,\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static final String TWO_TIERS = """
      routing: { defaultTier: fast }
      health: { intervalMs: 100 }
      tiers:
        - name: fast
          backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
        - name: max
          fallback: []
          backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
      """;

  TestGateway start(String yaml, String... extraSims) {
    TestGateway.Builder b = TestGateway.builder().file(dir.resolve("tiergate.yaml"))
        .sim("fast-1", sim(5000)).sim("max-1", sim(5000));
    for (String s : extraSims) {
      b.sim(s, sim(5000));
    }
    TestGateway gw = b.config(yaml).start();
    Wire.warmUp(gw, "fast", "max");
    return gw;
  }

  void write(String yaml) throws Exception {
    Files.writeString(dir.resolve("tiergate.yaml"), SERVER + yaml);
  }

  static Reply reload(TestGateway gw, String... headers) {
    return gw.post("/tiergate/reload", "", headers);
  }

  static String tierOf(TestGateway gw, String... headers) {
    Reply r = gw.post("/v1/chat/completions", CHAT, headers);
    assertEquals(200, r.status(), r.body());
    return r.header("x-tiergate-tier");
  }

  static double reloads(TestGateway gw, String result) {
    return gw.gateway().services().metrics().registry().get("tiergate_config_reloads").tag("result", result).counter().count();
  }

  /**
   * Requests a sim got that are not the prober's known-good one ("ping"): a backend the warm-up left suspect may be
   * owed such a check from before the reload, and it says nothing about where client requests went.
   */
  static long clientRequests(dev.tiergate.sim.SimServer sim) {
    return sim.stats().requestBodies().stream().filter(b -> !b.contains("\"content\":\"ping\"")).count();
  }

  @Test
  void aBadFileChangesNothingAndNamesTheKey() throws Exception {
    try (TestGateway gw = start(TWO_TIERS)) {
      write(TWO_TIERS.replace("defaultTier: fast", "defaultTier: max").replace("intervalMs: 100", "intervalMs: 100, bogus: 1"));
      Reply unknown = reload(gw);
      assertEquals(400, unknown.status(), unknown.body());
      JsonObject error = new JsonObject(unknown.body()).getJsonObject("error");
      assertEquals("invalid_request_error", error.getString("type"));
      assertTrue(error.getString("message").contains("health.bogus: unknown key 'bogus'"), error.getString("message"));
      assertEquals("health.bogus", error.getString("param"));

      write(TWO_TIERS.replace("defaultTier: fast", "defaultTier: nowhere"));
      Reply invalid = reload(gw);
      assertEquals(400, invalid.status());
      assertTrue(invalid.body().contains("routing.defaultTier"), invalid.body());

      Files.writeString(dir.resolve("tiergate.yaml"), "server: { port: 0, instances: 1 }\n"
          + TWO_TIERS.replace("defaultTier: fast", "defaultTier: max"));
      Reply fixed = reload(gw);
      assertEquals(400, fixed.status());
      assertTrue(fixed.body().contains("server.instances cannot change on reload; restart"), fixed.body());
      assertEquals("server.instances", new JsonObject(fixed.body()).getJsonObject("error").getString("param"));

      assertEquals("fast", tierOf(gw), "nothing changed");
      assertEquals(1, gw.gateway().services().generation().number());
      assertEquals(3.0, reloads(gw, "rejected"));
      assertEquals(0.0, reloads(gw, "ok"));
      assertTrue(gw.get("/metrics").body().contains("tiergate_config_reloads_total{result=\"rejected\"} 3.0"));
    }
  }

  @Test
  void aRuleChangeRoutesNewRequests() throws Exception {
    try (TestGateway gw = start(TWO_TIERS)) {
      assertEquals("fast", tierOf(gw));
      write(TWO_TIERS.replace("routing: { defaultTier: fast }", """
          routing:
            defaultTier: fast
            aliases: { big: max }
            rules: [{ name: everything, when: { promptTokensAtLeast: 1 }, tier: max }]"""));
      Reply r = reload(gw);
      assertEquals(200, r.status(), r.body());
      JsonObject summary = new JsonObject(r.body());
      assertTrue(summary.getBoolean("rulesChanged"));
      assertTrue(summary.getBoolean("aliasesChanged"));
      assertEquals(2, summary.getLong("generation"));
      assertTrue(summary.getJsonObject("backends").getJsonArray("added").isEmpty());
      assertEquals("max", tierOf(gw));
      assertEquals("max", tierOf(gw, "x-tiergate-tier", "max"));
      Reply alias = gw.post("/v1/chat/completions", CHAT.replace("\"model\":\"m\"", "\"model\":\"big\""));
      assertEquals("max", alias.header("x-tiergate-tier"), "the new alias works");
      assertTrue(gw.get("/metrics").body().contains("tiergate_route_decisions_total{reason=\"rule:everything\",tier=\"max\"}"));
      assertEquals(1.0, reloads(gw, "ok"));

      // Reloading the same file again is a reload that changes nothing.
      JsonObject again = new JsonObject(reload(gw).body());
      assertFalse(again.getBoolean("changed"));
    }
  }

  @Test
  void aRemovedBackendFinishesItsStreamsThenLeavesMetrics() throws Exception {
    String yaml = TWO_TIERS.replace("  - name: max\n", """
          - name: old
            fallback: []
            backends: [{ name: old-1, url: "${SIM_OLD_1}", engine: vllm, model: m }]
          - name: max
        """);
    TestGateway.Builder b = TestGateway.builder().file(dir.resolve("tiergate.yaml"))
        .sim("fast-1", sim(5000)).sim("max-1", sim(5000)).sim("old-1", sim(50));
    try (TestGateway gw = b.config(yaml).start()) {
      Wire.warmUp(gw, "fast", "max", "old");
      // ≈ 4 s at 50 tokens/s: it is still streaming when the reload is done.
      Wire.Reader running = Wire.Reader.open(gw, "/v1/chat/completions", stream(200), "x-tiergate-tier", "old");
      running.awaitText("\"content\":\"", 5_000);
      long before = clientRequests(gw.sim("old-1"));

      write(TWO_TIERS);
      Reply r = reload(gw);
      assertEquals(200, r.status(), r.body());
      JsonObject summary = new JsonObject(r.body());
      assertEquals("[\"old-1\"]", summary.getJsonObject("backends").getJsonArray("removed").encode());
      assertEquals("[\"old\"]", summary.getJsonObject("tiers").getJsonArray("removed").encode());
      assertEquals("[\"old-1\"]", summary.getJsonObject("backends").getJsonArray("draining").encode());
      assertFalse(running.ended(), "the stream outlives the reload");
      assertTrue(gw.get("/metrics").body().contains("backend=\"old-1\""), "a draining backend keeps its series");
      JsonObject status = new JsonObject(gw.get("/tiergate/status").body());
      assertEquals("old-1", status.getJsonArray("draining").getJsonObject(0).getString("name"), status.encode());
      assertEquals(1, status.getJsonArray("draining").getJsonObject(0).getInteger("inflight"), "the stream still runs there");

      Reply gone = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "old");
      assertEquals(400, gone.status(), "the tier is no longer configured");
      for (int i = 0; i < 5; i++) {
        assertEquals("fast", tierOf(gw));
      }

      String body = running.awaitEnd();
      assertTrue(Wire.endsWithDone(body), "the stream on the removed backend completed: " + body);
      assertEquals(200, Wire.joined(body, "content").split(" ").length, "every token arrived");
      assertEquals(before, clientRequests(gw.sim("old-1")),
          "no new client request went to the removed backend: " + gw.sim("old-1").stats().requestBodies());
      Wire.await("the removed backend's series are gone", 10_000,
          () -> !gw.get("/metrics").body().contains("old-1") && !gw.get("/metrics").body().contains("tier=\"old\""));
      assertTrue(gw.get("/metrics").body().contains("backend=\"fast-1\""), "the others stay");
      assertEquals("[]", new JsonObject(gw.get("/tiergate/status").body()).getJsonArray("draining").encode(), "drained");
    }
  }

  @Test
  void aNewBackendIsRoutedOnlyOnceAProbeFoundItReady() throws Exception {
    try (DeadPort late = DeadPort.reserve()) {
      TestGateway.Builder b = TestGateway.builder().file(dir.resolve("tiergate.yaml"))
          .sim("fast-1", sim(5000)).sim("max-1", sim(5000)).env("LATE", late.url());
      try (TestGateway gw = b.config(TWO_TIERS).start()) {
        Wire.warmUp(gw, "fast", "max");
        write(TWO_TIERS.replace("backends: [{ name: fast-1, url: \"${SIM_FAST_1}\", engine: vllm, model: m }]", """
            backends:
                  - { name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }
                  - { name: fast-2, url: "${LATE}", engine: vllm, model: m }"""));
        Reply r = reload(gw);
        assertEquals(200, r.status(), r.body());
        JsonObject backends = new JsonObject(r.body()).getJsonObject("backends");
        assertEquals("[\"fast-2\"]", backends.getJsonArray("added").encode());
        assertEquals("[\"fast-2\"]", backends.getJsonArray("notReady").encode());
        for (int i = 0; i < 10; i++) {
          Reply served = gw.post("/v1/chat/completions", CHAT);
          assertEquals("fast-1", served.header("x-tiergate-backend"), "an unprobed backend takes nothing");
        }
        assertFalse(gw.gateway().services().fleet().routable("fast-2"));

        SimServer started = late.handOver(port -> TestGateway.await(SimServer.start(gw.vertx(), sim(5000).withPort(port))));
        try {
          Wire.await("a probe found fast-2 ready", 10_000, () -> gw.gateway().services().fleet().routable("fast-2"));
          boolean reached = false;
          for (int i = 0; i < 20 && !reached; i++) {
            reached = "fast-2".equals(gw.post("/v1/chat/completions", CHAT).header("x-tiergate-backend"));
          }
          assertTrue(reached, "once ready, the new backend takes its share");
        } finally {
          TestGateway.await(started.close());
        }
      }
    }
  }

  @Test
  void aRuleAndABackendChangeUnderLoadLoseNoRequest() throws Exception {
    try (TestGateway gw = start(TWO_TIERS, "fast-1b")) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      List<String> bad = Collections.synchronizedList(new ArrayList<>());
      List<Future<Void>> clients = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String[] headers = i % 2 == 0 ? new String[] {"x-tiergate-tier", "fast"} : new String[0];
        clients.add(gw.onLoop(() -> loop(gw, stop, ok, bad, headers)));
      }
      Wire.await("load is running", 10_000, () -> ok.get() >= 40);

      // A rule sends unhinted requests to max, and fast-1 moves to another engine: removed and added under the same name.
      write(TWO_TIERS.replace("routing: { defaultTier: fast }",
          "routing: { defaultTier: fast, rules: [{ name: all, when: { promptTokensAtLeast: 1 }, tier: max }] }")
          .replace("${SIM_FAST_1}", "${SIM_FAST_1B}"));
      Reply r = reload(gw);
      assertEquals(200, r.status(), r.body());
      JsonObject summary = new JsonObject(r.body());
      assertEquals("[\"fast-1\"]", summary.getJsonObject("backends").getJsonArray("changed").encode());
      assertTrue(summary.getBoolean("rulesChanged"));
      assertEquals("max", tierOf(gw), "the rule routes new requests");
      int atReload = ok.get();
      Wire.await("load goes on after the reload", 10_000, () -> ok.get() >= atReload + 40);
      // And back again, still under load.
      write(TWO_TIERS);
      assertEquals(200, reload(gw).status());
      int atSecond = ok.get();
      Wire.await("load goes on after the second reload", 10_000, () -> ok.get() >= atSecond + 40);
      stop.set(true);
      clients.forEach(TestGateway::await);

      assertEquals(List.of(), bad, "every request under load was answered 200 and ended with [DONE]");
      Wire.awaitNothingInFlight(gw);
      int oldEngine = gw.sim("fast-1").stats().requests();
      int newEngine = gw.sim("fast-1b").stats().requests();
      assertTrue(newEngine > 0, "the replaced backend's new engine served while it was configured");
      for (int i = 0; i < 5; i++) {
        assertEquals("fast", tierOf(gw));
      }
      assertEquals(oldEngine + 5, gw.sim("fast-1").stats().requests(), "fast-1 is back on its first engine");
      assertEquals(newEngine, gw.sim("fast-1b").stats().requests(), "the engine it left gets nothing new");
    }
  }

  @Test
  void aBackendMovedAwayAndBackKeepsItsStreams() throws Exception {
    TestGateway.Builder b = TestGateway.builder().file(dir.resolve("tiergate.yaml"))
        .sim("fast-1", sim(50)).sim("fast-1b", sim(5000)).sim("max-1", sim(5000));
    try (TestGateway gw = b.config(TWO_TIERS).start()) {
      Wire.warmUp(gw, "max");
      Wire.Reader first = Wire.Reader.open(gw, "/v1/chat/completions", stream(100), "x-tiergate-tier", "fast");
      first.awaitText("\"content\":\"", 5_000);
      write(TWO_TIERS.replace("${SIM_FAST_1}", "${SIM_FAST_1B}"));
      assertEquals(200, reload(gw).status());
      write(TWO_TIERS);
      assertEquals(200, reload(gw).status());
      // Back on the first engine: this stream shares the pooled client of the one still draining there.
      Wire.Reader second = Wire.Reader.open(gw, "/v1/chat/completions", stream(200), "x-tiergate-tier", "fast");
      second.awaitText("\"content\":\"", 5_000);
      String firstBody = first.awaitEnd();
      assertTrue(Wire.endsWithDone(firstBody), firstBody);
      String secondBody = second.awaitEnd();
      assertTrue(Wire.endsWithDone(secondBody), "the old backend's drain closed nothing the new one uses: " + secondBody);
      assertEquals(200, Wire.joined(secondBody, "content").split(" ").length);
    }
  }

  /** Streams one request after another until stopped; anything but a 200 that ends with [DONE] is noted. */
  static Future<Void> loop(TestGateway gw, AtomicBoolean stop, AtomicInteger ok, List<String> bad, String[] headers) {
    if (stop.get()) {
      return Future.succeededFuture();
    }
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
        .setURI("/v1/chat/completions").putHeader("content-type", "application/json");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    return gw.client().request(o).compose(req -> req.send(Buffer.buffer(stream(12))))
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() == 200 && Wire.endsWithDone(b.toString())) {
            ok.incrementAndGet();
          } else {
            bad.add(resp.statusCode() + " " + b);
          }
          return (Void) null;
        }))
        .recover(t -> {
          bad.add(t.toString());
          return Future.succeededFuture();
        })
        .compose(v -> loop(gw, stop, ok, bad, headers));
  }

  @Test
  void reloadNeedsAnAdminKeyOnceTheGatewayHasKeys() throws Exception {
    String admin = "admin-key-0123456789abcdef";
    String user = "user-key-0123456789abcdef0";
    String keyed = TWO_TIERS + "auth:\n  keys: [{ name: ops, role: admin, key: \"" + admin + "\" }, { name: app, key: \""
        + user + "\" }]\n";
    TestGateway gw = TestGateway.builder().file(dir.resolve("tiergate.yaml"))
        .sim("fast-1", sim(5000)).sim("max-1", sim(5000)).config(keyed).start();
    try (gw) {
      write(keyed.replace("defaultTier: fast", "defaultTier: max"));
      assertEquals(401, reload(gw).status());
      assertEquals(403, reload(gw, "authorization", "Bearer " + user).status());
      assertEquals("fast", tierOf(gw, "authorization", "Bearer " + user), "refused reloads changed nothing");
      Reply r = reload(gw, "authorization", "Bearer " + admin);
      assertEquals(200, r.status(), r.body());
      assertEquals("max", tierOf(gw, "authorization", "Bearer " + user));
    }
  }

  @Test
  void sighupReloadsTheConfigAndSaysWhy() throws Exception {
    try (TestGateway gw = start(TWO_TIERS)) {
      write(TWO_TIERS.replace("defaultTier: fast", "defaultTier: max"));
      String line = TestGateway.await(Hangup.handle(gw.vertx(), gw.gateway()));
      assertTrue(line.startsWith("tiergate: SIGHUP: config reloaded, generation 2"), line);
      assertEquals("max", tierOf(gw));

      Files.writeString(dir.resolve("tiergate.yaml"), "server: { port: 1, instances: 2 }\n" + TWO_TIERS);
      String refused = TestGateway.await(Hangup.handle(gw.vertx(), gw.gateway()));
      assertTrue(refused.contains("config not reloaded, nothing changed: server.port cannot change on reload; restart"), refused);
      assertEquals("max", tierOf(gw));
    }
  }

  @Test
  void aTierWhoseEngineTiergateRunsCannotChangeButTheRestReloads() throws Exception {
    String managed = TWO_TIERS.replace("""
          - name: max
            fallback: []
        """, """
          - name: max
            fallback: []
            lifecycle: { commands: { start: ["true"], stop: ["true"] } }
        """);
    TestGateway gw = TestGateway.builder().file(dir.resolve("tiergate.yaml"))
        .sim("fast-1", sim(5000)).sim("max-1", sim(5000)).config(managed).start();
    try (gw) {
      Wire.await("the managed tier is up", 10_000, () -> gw.gateway().services().fleet().routable("max-1"));
      write(managed.replace("stop: [\"true\"]", "stop: [\"false\"]"));
      Reply refused = reload(gw);
      assertEquals(400, refused.status(), refused.body());
      assertTrue(refused.body().contains("tiers[1].lifecycle.commands.stop[0] cannot change on reload (tiergate starts and"
          + " stops this tier's engine: lifecycle or group); restart"), refused.body());

      write(managed.replace("defaultTier: fast", "defaultTier: max"));
      Reply r = reload(gw);
      assertEquals(200, r.status(), r.body());
      assertEquals("max", tierOf(gw), "the managed tier keeps serving under the new rules");
      assertTrue(gw.gateway().services().lifecycles().manages("max"));
    }
  }

  @Test
  void aGatewayWithoutAFileSaysSo() {
    try (TestGateway gw = TestGateway.builder().sim("fast-1", sim(5000)).sim("max-1", sim(5000)).config(TWO_TIERS).start()) {
      Reply r = reload(gw);
      assertEquals(409, r.status(), r.body());
      assertTrue(r.body().contains("not started from a config file"), r.body());
    }
  }
}
