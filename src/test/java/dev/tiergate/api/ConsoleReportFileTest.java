package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.app.Gateway;
import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code console.report}: a bench tiers JSON file shown from the start, or a start refused with the reason. */
class ConsoleReportFileTest {
  static final String TIERS = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
      """;

  @TempDir
  Path dir;

  @Test
  void aReportFileIsShownFromTheStart() throws Exception {
    Path file = Files.writeString(dir.resolve("report.json"), ConsoleTest.REPORT);
    try (TestGateway gw = TestGateway.builder().sim("fast-1", SimOptions.defaults("vllm").withModel("m"))
        .config("console: { report: \"" + file + "\" }\n" + TIERS).start()) {
      JsonObject shown = new JsonObject(gw.get("/tiergate/report").body());
      assertEquals(file.toString(), shown.getString("source"));
      assertEquals(2, shown.getJsonArray("tiers").size());
      assertTrue(shown.getString("svg").startsWith("<?xml"));
    }
  }

  @Test
  void aReportThatCannotBeShownStopsTheStartWithTheReason() throws Exception {
    Path notAReport = Files.writeString(dir.resolve("bad.json"), "{\"tiers\": 3}");
    for (Path p : new Path[] {notAReport, dir.resolve("missing.json")}) {
      GatewayConfig c = ConfigLoader.withEnv(Map.of("SIM_FAST_1", "http://127.0.0.1:9"))
          .parse("t.yaml", "server: { port: 0 }\nconsole: { report: \"" + p + "\" }\n" + TIERS);
      Vertx vertx = Vertx.vertx();
      try {
        ConfigException e = assertThrows(ConfigException.class, () -> Gateway.start(vertx, c));
        assertTrue(e.problems().get(0).startsWith("console.report: cannot show '" + p + "'"), e.getMessage());
      } finally {
        TestGateway.await(vertx.close());
      }
    }
  }
}
