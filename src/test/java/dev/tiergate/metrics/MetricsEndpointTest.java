package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /metrics} on the gateway port by default, or alone on a management port when configured. */
@ExtendWith(BlockedLoopGuard.class)
class MetricsEndpointTest {
  static final String TIERS = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          scheme: W4A16
          backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
      """;

  static TestGateway start(String extra) {
    return TestGateway.builder().sim("fast-1", SimOptions.defaults("vllm").withModel("m").withDecodeTps(2000)
        .withTtftBaseMs(1).withPrefillTps(100_000)).config(extra + TIERS).start();
  }

  @Test
  void onTheGatewayPortByDefault() {
    try (TestGateway gw = start("")) {
      assertEquals(200, gw.post("/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").status());
      TestGateway.Reply r = gw.get("/metrics");
      assertEquals(200, r.status());
      assertTrue(r.header("content-type").startsWith("text/plain; version=0.0.4"), r.header("content-type"));
      String text = r.body();
      assertTrue(text.contains(
          "tiergate_requests_total{backend=\"fast-1\",endpoint=\"chat\",outcome=\"ok\",tier=\"fast\"} 1.0"), text);
      assertTrue(text.contains("tiergate_ttft_seconds_count{backend=\"fast-1\",tier=\"fast\"} 1"), text);
      assertTrue(text.contains("tiergate_route_decisions_total{reason=\"default\",tier=\"fast\"} 1.0"), text);
      // JVM and process meters
      for (String name : new String[] {"jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total", "jvm_threads_live_threads",
          "process_cpu_usage", "system_cpu_count", "process_uptime_seconds", "process_files_open_files"}) {
        assertTrue(text.contains("\n" + name), "missing " + name);
      }
      assertEquals(gw.port(), gw.gateway().metricsPort());
    }
  }

  @Test
  void onASeparateManagementPortWhenConfigured() {
    try (TestGateway gw = start("metrics: { port: 0, path: /prom }\n")) {
      int port = gw.gateway().metricsPort();
      assertNotEquals(gw.port(), port);
      String body = TestGateway.await(gw.client().request(HttpMethod.GET, port, "127.0.0.1", "/prom")
          .compose(req -> req.send().compose(resp -> {
            assertEquals(200, resp.statusCode());
            return resp.body();
          }))).toString();
      assertTrue(body.contains("tiergate_backend_up{backend=\"fast-1\",engine=\"vllm\",tier=\"fast\"}"), body);
      assertEquals(404, gw.get("/metrics").status(), "the API port does not expose metrics then");
      assertEquals(404, gw.get("/prom").status());
    }
  }

  @Test
  void disabled() {
    try (TestGateway gw = start("metrics: { enabled: false }\n")) {
      assertEquals(404, gw.get("/metrics").status());
      assertEquals(-1, gw.gateway().metricsPort());
    }
  }
}
