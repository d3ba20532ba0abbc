package dev.tiergate.grafana;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/** A real Prometheus server on a free loopback port, scraping one target every second. */
final class PrometheusProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path log;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private PrometheusProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** The binary from {@code PROMETHEUS_BIN} or the PATH, or null when there is none. */
  static String find() {
    String configured = System.getenv("PROMETHEUS_BIN");
    if (configured != null && new File(configured).canExecute()) {
      return configured;
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, "prometheus");
      if (f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    return null;
  }

  /**
   * Called before each test: without the binary the test is skipped, as a JUnit assumption that
   * Surefire counts in its "Skipped" total (an abort in {@code @BeforeAll} would make the class
   * report no tests at all). Under {@code CI=true}, where {@code .ci/run} installs it, a missing
   * binary fails the test instead.
   */
  static void assumeInstalled() {
    if (find() != null) {
      return;
    }
    String why = "no prometheus binary on PATH (apt-get install -y prometheus, or set PROMETHEUS_BIN)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true, so this is an error, not a skip");
    }
    Assumptions.abort(why);
  }

  /**
   * Prometheus binds its port itself, so a port found free here may be taken before it binds:
   * each try is checked (the process answers its own {@code /-/ready}), and a lost race is retried
   * on another port instead of being hoped away.
   */
  static PrometheusProcess start(Path dir, String target) throws IOException, InterruptedException {
    String bin = find();
    if (bin == null) {
      throw new IllegalStateException("no prometheus binary; call assumeInstalled() first");
    }
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
          evaluation_interval: 1s
        scrape_configs:
          - job_name: tiergate
            metrics_path: /metrics
            static_configs:
              - targets: ["%s"]
        """.formatted(target));
    for (int attempt = 1; ; attempt++) {
      int port = unusedPort();
      Path log = dir.resolve("prometheus-" + attempt + ".log");
      Process p = new ProcessBuilder(bin, "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      PrometheusProcess prometheus = new PrometheusProcess(p, log, port);
      if (prometheus.answersAsItself(Duration.ofSeconds(30))) {
        return prometheus;
      }
      String tail = prometheus.logTail();
      prometheus.close();
      if (attempt == 5 || !tail.contains("address already in use")) {
        fail("prometheus did not start on port " + port + " (try " + attempt + "):\n" + tail);
      }
    }
  }

  private static int unusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** True once this process answers {@code /-/ready} on its port; false when it exited or the time ran out. */
  private boolean answersAsItself(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    URI ready = URI.create("http://127.0.0.1:" + port + "/-/ready");
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("Prometheus") && process.isAlive()) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    return false;
  }

  /** Polls until {@code ok} holds for the query's result array, or fails with the server log. */
  void await(String what, String query, Predicate<JsonNode> ok, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        fail("prometheus exited with " + process.exitValue() + ":\n" + logTail());
      }
      try {
        JsonNode r = query(query);
        if ("success".equals(r.path("status").asText()) && ok.test(r.path("data").path("result"))) {
          return;
        }
        last = r.toString();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    fail("timed out waiting for " + what + " (" + query + "), last answer: " + last + "\n" + logTail());
  }

  JsonNode query(String promql) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s; either way it is gone when this returns. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
