package dev.tiergate.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.Engines;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP control mode against a control service like the seed stack's (it answers once the new
 * model is up, 409 while another switch runs), and a real SIGTERM to a gateway process: every
 * engine it started is gone afterwards.
 */
@ExtendWith(BlockedLoopGuard.class)
class ControlAndShutdownTest {
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  /** A control service that runs one in-process sim at a time, switching on POST /switch {"tier": …}. */
  static final class ControlService implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final Map<String, Integer> ports;
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    volatile boolean busy;
    volatile SimServer running;
    HttpServer server;

    ControlService(Map<String, Integer> ports) {
      this.ports = ports;
      server = TestGateway.await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
        String tier = new JsonObject(b).getString("tier");
        calls.computeIfAbsent(tier, t -> new AtomicInteger()).incrementAndGet();
        if (busy) {
          req.response().setStatusCode(409).end("{\"error\":\"a switch is running\"}");
          return;
        }
        busy = true;
        SimServer before = running;
        (before == null ? io.vertx.core.Future.<Void>succeededFuture() : before.close())
            .compose(v -> vertx.timer(300))
            .compose(v -> SimServer.start(vertx, SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1)
                .withPrefillTps(1_000_000).withDecodeTps(1000).withPort(ports.get(tier))))
            .onComplete(ar -> {
              busy = false;
              if (ar.succeeded()) {
                running = ar.result();
                req.response().end("{\"ok\":true,\"tier\":\"" + tier + "\"}");
              } else {
                req.response().setStatusCode(500).end(ar.cause().getMessage());
              }
            });
      })).listen(0, "127.0.0.1"));
    }

    int port() {
      return server.actualPort();
    }

    @Override
    public void close() {
      TestGateway.await(vertx.close());
    }
  }

  @Test
  void theHttpControlModeSwitchesTiersAndWaitsOutA409() {
    Map<String, Integer> ports = Map.of("fast", Engines.port(), "max", Engines.port());
    try (ControlService control = new ControlService(ports)) {
      String call = "{ http: { url: \"http://127.0.0.1:%d/switch\", body: '{\"tier\":\"%s\"}', timeoutMs: 30000 },"
          + " readyTimeoutMs: 30000 }";
      try (TestGateway gw = TestGateway.builder().config("""
          health: { intervalMs: 200, timeoutMs: 500 }
          routing: { defaultTier: fast }
          groups: [{ name: gpus, tiers: [fast, max], home: fast, maxWaitMs: 30000 }]
          tiers:
            - name: fast
              lifecycle: %s
              backends: [{ name: fast-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
            - name: max
              lifecycle: %s
              backends: [{ name: max-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
          """.formatted(call.formatted(control.port(), "fast"), ports.get("fast"), call.formatted(control.port(), "max"),
          ports.get("max"))).start()) {
        SwapTest.awaitLive(gw, "fast");
        assertEquals(1, control.calls.get("fast").get(), "home was switched to once at start");

        control.busy = true; // someone else's switch is running
        var waiting = SwapTest.send(gw, CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
        Wire.await("the gateway called and got 409", 5_000, () -> control.calls.getOrDefault("max", new AtomicInteger()).get() >= 1);
        control.busy = false;
        TestGateway.Reply r = TestGateway.await(waiting);
        assertEquals(200, r.status(), r.body());
        assertEquals("max", r.header("x-tiergate-tier"));
        assertTrue(control.calls.get("max").get() >= 2, "the 409 was retried: " + control.calls);
        assertEquals(ports.get("max"), control.running.port(), "the control service runs max now");
      }
    }
  }

  @Test
  void sigtermToTheGatewayStopsEveryEngineItStarted(@TempDir Path dir) throws Exception {
    int gatewayPort = Engines.port();
    int[] ports = {Engines.port(), Engines.port()};
    Path config = dir.resolve("rig.yaml");
    Files.writeString(config, "server: { port: " + gatewayPort + ", drainMs: 1000 }\n"
        + SwapTest.config("{ name: gpus, tiers: [fast, max], home: fast }", new String[] {"fast", "max"}, ports));
    Process gateway = new ProcessBuilder(List.of(Engines.java(), "-Xmx256m", "-XX:+UseSerialGC", "-cp",
        System.getProperty("java.class.path"), "dev.tiergate.app.Main", "serve", "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("gateway.log").toFile()).start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      long[] pid = {-1};
      Wire.await("the gateway's home engine is live", 60_000, () -> {
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/tiergate/status"))
              .build(), HttpResponse.BodyHandlers.ofString());
          JsonObject g = new JsonObject(r.body()).getJsonArray("groups").getJsonObject(0);
          Long p = g.getJsonArray("tiers").getJsonObject(0).getLong("pid");
          pid[0] = p == null ? -1 : p;
          return "live".equals(g.getString("state")) && pid[0] > 0;
        } catch (Exception notYet) {
          return false;
        }
      });
      assertTrue(ProcessHandle.of(pid[0]).map(ProcessHandle::isAlive).orElse(false), "the engine runs");
      assertTrue(gateway.descendants().anyMatch(h -> h.pid() == pid[0]), "as the gateway's child");

      gateway.destroy(); // SIGTERM, as systemd, Kubernetes or Ctrl-C would send
      assertTrue(gateway.waitFor(60, TimeUnit.SECONDS), "the gateway exits: " + Files.readString(dir.resolve("gateway.log")));
      Wire.await("the engine is gone", 5_000, () -> ProcessHandle.of(pid[0]).map(h -> !h.isAlive()).orElse(true));
      assertFalse(ProcessHandle.of(pid[0]).map(ProcessHandle::isAlive).orElse(false));
    } finally {
      gateway.descendants().forEach(ProcessHandle::destroyForcibly);
      gateway.destroyForcibly();
    }
  }
}
