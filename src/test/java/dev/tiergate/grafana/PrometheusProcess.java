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

  /**
   * The binary from {@code PROMETHEUS_BIN} or the PATH. Missing, the test fails in CI (which
   * installs it) and is skipped on a developer machine without it.
   */
  static String binary() {
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
    String why = "no prometheus binary on PATH (apt-get install -y prometheus, or set PROMETHEUS_BIN)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true, so this is an error, not a skip");
    }
    Assumptions.abort(why);
    return null;
  }

  static PrometheusProcess start(Path dir, String target) throws IOException {
    String bin = binary();
    int port = freePort();
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
    Path log = dir.resolve("prometheus.log");
    Process p = new ProcessBuilder(bin, "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new PrometheusProcess(p, log, port);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
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
