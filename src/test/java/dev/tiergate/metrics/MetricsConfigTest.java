package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.MetricsConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code metrics:} section: defaults, and problems reported with their key path. */
class MetricsConfigTest {
  static final String TIERS = """
      server: { port: 8080 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: fast-1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
      """;

  static GatewayConfig parse(String metrics) {
    return ConfigLoader.withEnv(Map.of()).parse("test", metrics + TIERS);
  }

  static String problem(String metrics) {
    return assertThrows(ConfigException.class, () -> parse(metrics)).getMessage();
  }

  @Test
  void defaultsServeMetricsOnTheGatewayPort() {
    MetricsConfig m = parse("").metrics();
    assertTrue(m.enabled());
    assertEquals("/metrics", m.path());
    assertNull(m.port());
    assertTrue(m.onGatewayPort());
  }

  @Test
  void aPortMovesItToAManagementListener() {
    MetricsConfig m = parse("metrics: { port: 9464, host: 0.0.0.0 }\n").metrics();
    assertTrue(m.separatePort());
    assertEquals(9464, m.port());
  }

  @Test
  void badValuesNameTheirKey() {
    assertTrue(problem("metrics: { path: metrics }\n").contains("metrics.path: must start with '/'"));
    assertTrue(problem("metrics: { path: /v1/metrics }\n").contains("metrics.path: '/v1/metrics' collides"));
    assertTrue(problem("metrics: { port: 70000 }\n").contains("metrics.port: must be 0..65535"));
    assertTrue(problem("metrics: { port: 8080 }\n").contains("metrics.port: 8080 is the gateway's own port"));
    assertTrue(problem("metrics: { prot: 9000 }\n").contains("unknown key 'prot'"));
  }

  @Test
  void theOldConstructorStillWorks() {
    GatewayConfig c = parse("");
    GatewayConfig old = new GatewayConfig(c.server(), c.routing(), c.timeouts(), c.health(), c.tiers());
    assertEquals(MetricsConfig.defaults(), old.metrics());
    assertEquals(c.metrics(), c.withServer(c.server()).metrics());
  }
}
