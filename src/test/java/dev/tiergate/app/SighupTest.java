package dev.tiergate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tiergate serve} as its own process: SIGHUP re-reads the config and keys files; a bad file
 * changes nothing and says why.
 */
class SighupTest {
  static final String OLD = "old-key-0123456789abcdef0123";
  static final String NEW = "new-key-0123456789abcdef0123";

  @TempDir
  Path dir;
  Vertx vertx;
  Process gateway;
  Path log;

  @AfterEach
  void stop() throws Exception {
    if (gateway != null && gateway.isAlive()) {
      gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    TestGateway.await(vertx.close());
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  static int status(int port, String key) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .header("content-type", "application/json").header("authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build();
    return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** {@code tiergate serve --config FILE} as a child process (after {@code prefix}, e.g. nohup), once it listens. */
  void serve(Path config, String... prefix) throws Exception {
    log = dir.resolve("gateway.log");
    List<String> cmd = new ArrayList<>(List.of(prefix));
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), "dev.tiergate.app.Main", "serve", "--config", config.toString()));
    gateway = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Wire.await("the child gateway is listening; it said:\n" + output(), 30_000, () -> SigtermTest.LISTENING.matcher(output()).find());
  }

  void hangup() throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(gateway.pid())).start().waitFor());
  }

  @Test
  void sighupReloadsTheKeysFile() throws Exception {
    vertx = Vertx.vertx();
    SimServer sim = TestGateway.await(SimServer.start(vertx, SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1)));
    Path keys = dir.resolve("keys.yaml");
    Files.writeString(keys, "keys:\n  - { name: old, key: \"" + OLD + "\" }\n");
    Path config = dir.resolve("tiergate.yaml");
    Files.writeString(config, """
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        routing: { defaultTier: main }
        tiers:
          - name: main
            backends: [{ name: main-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
        auth: { keysFile: "%s" }
        """.formatted(sim.port(), keys));
    serve(config);
    Matcher m = SigtermTest.LISTENING.matcher(output());
    assertTrue(m.find());
    int port = Integer.parseInt(m.group(1));
    assertEquals(200, status(port, OLD));
    assertEquals(401, status(port, NEW));

    Files.writeString(keys, "keys:\n  - { name: new, key: \"" + NEW + "\", tiers: [gone] }\n");
    hangup();
    Wire.await("the bad file is reported; output:\n" + output(), 10_000, () -> output().contains("keys file not reloaded"));
    assertTrue(output().contains("keys[0].tiers[0]: unknown tier 'gone'"), output());
    assertEquals(200, status(port, OLD), "the old keys stay");

    Files.writeString(keys, "keys:\n  - { name: new, key: \"" + NEW + "\" }\n");
    hangup();
    Wire.await("the new file is in force; output:\n" + output(), 10_000, () -> output().contains("keys reloaded, 1 in force"));
    assertEquals(200, status(port, NEW));
    assertEquals(401, status(port, OLD));
    assertTrue(!output().contains(OLD) && !output().contains(NEW), "no key in the gateway's output");
    assertTrue(gateway.isAlive());
  }

  static HttpResponse<String> chat(int port) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build();
    return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void sighupReloadsTheConfigFile() throws Exception {
    vertx = Vertx.vertx();
    SimServer sim = TestGateway.await(SimServer.start(vertx, SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1)));
    String yaml = """
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        routing: { defaultTier: one }
        tiers:
          - name: one
            backends: [{ name: one-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
          - name: two
            backends: [{ name: two-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
        """.formatted(sim.port(), sim.port());
    Path config = dir.resolve("tiergate.yaml");
    Files.writeString(config, yaml);
    serve(config);
    Matcher m = SigtermTest.LISTENING.matcher(output());
    assertTrue(m.find());
    int port = Integer.parseInt(m.group(1));
    assertEquals("one", chat(port).headers().firstValue("x-tiergate-tier").orElse(null));

    Files.writeString(config, yaml.replace("defaultTier: one", "defaultTier: two"));
    hangup();
    Wire.await("the new config is in force; output:\n" + output(), 10_000, () -> output().contains("config reloaded"));
    assertEquals("two", chat(port).headers().firstValue("x-tiergate-tier").orElse(null));

    Files.writeString(config, yaml.replace("port: 0", "port: 1"));
    hangup();
    Wire.await("the refused file is reported; output:\n" + output(), 10_000,
        () -> output().contains("WARNING dev.tiergate.reload: SIGHUP: config not reloaded, nothing changed: server.port cannot"
            + " change on reload; restart"));
    assertEquals("two", chat(port).headers().firstValue("x-tiergate-tier").orElse(null), "nothing changed");
    assertTrue(gateway.isAlive());
  }

  @Test
  void aGatewayStartedWithSighupIgnoredSaysItCannotReloadOnIt() throws Exception {
    vertx = Vertx.vertx();
    Path config = dir.resolve("tiergate.yaml");
    Files.writeString(config, """
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        routing: { defaultTier: main }
        tiers:
          - name: main
            backends: [{ name: main-1, url: "http://127.0.0.1:9", engine: vllm, model: m }]
        """);
    // nohup starts it with SIGHUP ignored, which the JVM then keeps ignored whatever handler is asked for.
    serve(config, "nohup");
    assertTrue(output().contains("SIGHUP is ignored in this process (started under nohup?)"), output());
  }
}
