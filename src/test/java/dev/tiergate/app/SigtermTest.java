package dev.tiergate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.RawHttp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real shutdown path: {@code tiergate serve --config FILE} as its own JVM, sent SIGTERM (what
 * {@link Process#destroy()} sends) while streams are open. The README: it stops accepting, lets
 * in-flight requests finish for up to {@code server.drainMs}, then cuts the streams still open with an
 * error event — and the process exits. The engine it talks to is a sim in this JVM.
 */
class SigtermTest {
  static final Pattern LISTENING = Pattern.compile("tiergate listening on http://127\\.0\\.0\\.1:(\\d+)/v1");

  @TempDir
  Path dir;
  Vertx vertx;
  SimServer sim;
  Process gateway;
  Path log;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    sim = TestGateway.await(SimServer.start(vertx, SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2)
        .withPrefillTps(1_000_000).withDecodeTps(20).withDenseBatching(false)));
    Path config = dir.resolve("tiergate.yaml");
    Files.writeString(config, """
        server: { host: 127.0.0.1, port: 0, instances: 1, drainMs: 2000 }
        health: { intervalMs: 600000 }
        routing: { defaultTier: main }
        tiers:
          - name: main
            backends: [{ name: main-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
        """.formatted(sim.port()));
    log = dir.resolve("gateway.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    gateway = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        "dev.tiergate.app.Main", "serve", "--config", config.toString())
        // To a file, not a pipe: Process.destroy() closes this side's pipes, and what the process says
        // while it drains would be lost.
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** What the gateway process printed so far. */
  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (gateway.isAlive()) {
      gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    TestGateway.await(vertx.close());
  }

  int port() {
    Wire.await("the child gateway is listening; it said:\n" + output(), 30_000, () -> LISTENING.matcher(output()).find());
    Matcher m = LISTENING.matcher(output());
    assertTrue(m.find());
    return Integer.parseInt(m.group(1));
  }

  static String chat(int maxTokens) {
    return "{\"model\":\"client-model\",\"stream\":true,\"max_tokens\":" + maxTokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static boolean refused(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void sigtermDrainsTheStreamsRefusesNewRequestsAndExits() throws Exception {
    int port = port();
    try (RawHttp warm = RawHttp.connect(port)) {
      String first = warm.send(RawHttp.post("/v1/chat/completions", chat(2))).readUntil(s -> s.contains("[DONE]"), 20_000);
      assertTrue(first.startsWith("HTTP/1.1 200"), first);
    }
    sim.stats().reset();
    try (RawHttp longOne = RawHttp.connect(port); RawHttp shortOne = RawHttp.connect(port)) {
      longOne.send(RawHttp.post("/v1/chat/completions", chat(100_000)));
      shortOne.send(RawHttp.post("/v1/chat/completions", chat(20))); // ≈ 1 s at 20 tokens/s, within the 2 s drain
      longOne.readUntil(s -> s.contains("\"content\":\""), 10_000);
      shortOne.readUntil(s -> s.contains("\"content\":\""), 10_000);
      assertEquals(2, sim.stats().activeStreams(), "both streams are generating");

      gateway.destroy(); // SIGTERM

      Wire.await("the gateway stopped accepting connections; it said:\n" + output(), 10_000, () -> refused(port));
      Wire.await("the gateway said it drains; it said:\n" + output(), 5_000,
          () -> output().contains("tiergate: draining (up to 2000 ms)"));

      String shortBody = RawHttp.body(shortOne.readToClose(15_000));
      List<String> shortData = Wire.data(shortBody);
      assertEquals("[DONE]", shortData.get(shortData.size() - 1), "the short stream finished normally: " + shortBody);
      assertTrue(Wire.errors(shortBody).isEmpty(), shortBody);
      assertEquals(20, Wire.joined(shortBody, "content").split(" ").length, shortBody);

      String longBody = RawHttp.body(longOne.readToClose(15_000));
      assertFalse(Wire.hasDone(longBody), "no [DONE] for a stream cut short: " + tail(longBody));
      List<JsonObject> errors = Wire.errors(longBody);
      assertEquals(1, errors.size(), tail(longBody));
      assertEquals("shutting_down", errors.get(0).getString("code"));
      assertTrue(errors.get(0).getString("message").contains("2000 ms"), errors.get(0).encode());
    }
    assertTrue(gateway.waitFor(20, TimeUnit.SECONDS), "the process exits after the drain; it said:\n" + output());
    assertEquals(143, gateway.exitValue(), "the JVM's exit status for SIGTERM (128 + 15)");
    Wire.await("the sim saw the cut stream's upstream closed", 5_000, () -> sim.stats().aborted() == 1);
    assertEquals(1, sim.stats().completed(), "the short stream completed upstream");
    assertEquals(0, sim.stats().activeStreams());
  }

  static String tail(String s) {
    return s.substring(Math.max(0, s.length() - 600));
  }
}
