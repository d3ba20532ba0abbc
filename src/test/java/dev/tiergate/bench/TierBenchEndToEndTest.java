package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * {@code bench tiers} end to end through an in-process gateway, against three sims whose corners are
 * far apart (5× prefill, 6× base TTFT, 3× decode), so the verdict is decided by the rates, not by noise.
 */
@Timeout(60)
class TierBenchEndToEndTest {
  private static final TierBench.Plan PLAN = new TierBench.Plan(List.of(1_000, 4_000), 2, 1, 4, 60, 20_000);
  private static TestGateway gw;

  @BeforeAll
  static void start() throws IOException {
    SimOptions base = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(5).withPrefillHalfRateTokens(0);
    gw = TestGateway.builder()
        // fast and max start 6× slower than prefill, as in the seed (158 vs 122 ms, widened): with equal bases
        // the short-prompt TTFT axis went to whichever tier the noise favoured, and max sometimes "won" it
        .sim("fast-1", base.withTtftBaseMs(30).withPrefillTps(20_000).withDecodeTps(900))
        .sim("max-1", base.withTtftBaseMs(30).withPrefillTps(20_000).withDecodeTps(300))
        .sim("prefill-1", base.withPrefillTps(100_000).withDecodeTps(300))
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m, contextWindow: 262144 }]
              - name: max
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m, contextWindow: 3000 }]
              - name: prefill
                backends: [{ name: prefill-1, url: "${SIM_PREFILL_1}", engine: vllm, model: m, contextWindow: 262144 }]
              - name: down
                backends: [{ name: down-1, url: "http://127.0.0.1:%d", engine: vllm, model: m }]
            """.formatted(closedPort()))
        .start();
  }

  /** A port nothing listens on: the down tier's connections are refused. */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void measuresEveryTierAndNamesItsCorner() throws Exception {
    TierBench.Plan plan = PLAN;
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    TierBench bench = new TierBench(gw.vertx(), gw.baseUrl(), plan, new PrintStream(progress, true, StandardCharsets.UTF_8));
    TierBench.Report report = bench.run(List.of("fast", "max", "prefill"));
    bench.close();

    assertEquals(List.of("fast", "max", "prefill"), report.tiers().stream().map(TierBench.TierResult::tier).toList());
    for (TierBench.TierResult r : report.tiers()) {
      for (Verdict.Axis a : report.axes()) {
        assertFalse(r.axes().get(a.name()).isEmpty(), r.tier() + " has no value for " + a.name() + ": " + r.notes());
        assertEquals(2, r.axes().get(a.name()).n(), "warm-ups are excluded, repeats kept: " + a.name());
      }
    }
    assertTrue(report.wins().get("fast").containsAll(List.of(TierBench.PROSE, TierBench.CODE)), report.wins().toString());
    assertTrue(report.wins().get("prefill").containsAll(List.of(TierBench.TTFT, "prefill@4K t/s")), report.wins().toString());
    assertEquals(List.of(), report.wins().get("max"), report.wins().toString());
    // the max tier's 3000-token window clipped the 4K prompt instead of failing it
    TierBench.TierResult max = report.tiers().get(1);
    assertTrue(max.notes().stream().anyMatch(n -> n.contains("clipped")), max.notes().toString());
    assertTrue(max.depths().get("prefill@4K t/s") < 3000, max.depths().toString());
    // ...so its TTFT at that prompt is shorter: shown, not judged (max wins nothing, above)
    assertTrue(report.axes().contains(new Verdict.Axis("TTFT@4K ms", false, false)), report.axes().toString());
    assertEquals(max.depths().get("prefill@4K t/s"), max.depths().get("TTFT@4K ms"));

    String table = TierReport.table(report);
    assertTrue(table.contains("| fast "), table);
    assertTrue(table.contains("max: no measured axis sets it apart"), table);
    JsonObject json = TierReport.json(report);
    assertEquals(3, json.getJsonArray("tiers").size());
    assertTrue(TierReport.csv(report).startsWith("tier,axis,median,min,max,n,wins\n"));
    assertTrue(progress.toString(StandardCharsets.UTF_8).contains("prefill decode code"), "progress bar drawn");
    chartOf(report);
    // --publish: the gateway takes the report for its status page, and draws the same chart
    assertEquals(null, BenchCli.publish(gw.baseUrl() + "/", json.copy().put("caption", "e2e").encode(), null));
    JsonObject shown = new JsonObject(gw.get("/tiergate/report").body());
    assertEquals(List.of("fast", "max", "prefill"), shown.getJsonArray("tiers").getList());
    assertEquals(TierChart.svg(report, "e2e"), shown.getString("svg"));
    String refused = BenchCli.publish(gw.baseUrl(), "{\"tiers\":[]}", null);
    assertTrue(refused != null && refused.contains("400") && refused.contains("tiers: empty"), refused);
  }

  /** The chart of a real run: every cell drawn, each axis' winner marked, the clipped prompt flagged. */
  private static void chartOf(TierBench.Report report) throws Exception {
    String svg = TierChart.svg(report, BenchCli.caption(gw.baseUrl(), PLAN, Instant.now()));
    String html = TierPage.html(report, null);
    // kept for a person to look at after the build (target/ is the build's own folder)
    Files.writeString(Path.of("target", "tier-chart-e2e.svg"), svg);
    Files.writeString(Path.of("target", "tier-chart-e2e.html"), html);
    Document d = TierChartTest.parse(svg);
    for (Verdict.Axis a : report.axes()) {
      String winner = report.wins().entrySet().stream().filter(e -> e.getValue().contains(a.name())).map(Map.Entry::getKey)
          .findFirst().orElse("");
      assertEquals(winner, TierChartTest.panel(d, a.name()).getAttribute("data-winner"), a.name());
      for (TierBench.TierResult r : report.tiers()) {
        Element bar = TierChartTest.find(d, "g", "bar", r.tier(), a.name());
        assertEquals(r.axes().get(a.name()).median(), Double.parseDouble(bar.getAttribute("data-median")));
      }
    }
    Element maxLong = TierChartTest.find(d, "g", "bar", "max", "prefill@4K t/s");
    assertTrue(TierChartTest.child(maxLong, "text", "label").getTextContent().contains("†"), "clipped prompt flagged");
    Element fastLong = TierChartTest.find(d, "g", "bar", "fast", "prefill@4K t/s");
    assertFalse(TierChartTest.child(fastLong, "text", "label").getTextContent().contains("†"));
    assertEquals(1, TierChartTest.parse(html).getElementsByTagName("svg").getLength());
  }

  @Test
  void exitsNonZeroNamingATierThatMeasuredNothing() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> flags = Map.of("url", gw.baseUrl(), "tiers", "fast,down", "quick", "true", "depths", "500",
        "repeats", "1", "decode-tokens", "8");
    int code = BenchCli.tiers(flags, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String stderr = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, stderr);
    assertTrue(stderr.contains("tier 'down' produced no measurement: HTTP 503"), stderr);
    assertFalse(stderr.contains("tier 'fast'"), "the measured tier is not blamed: " + stderr);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("| fast "), "the report is still printed");
  }

  @Test
  void exitsZeroWhenEveryRequestedTierMeasuredSomething() {
    Map<String, String> flags = Map.of("url", gw.baseUrl(), "tiers", "fast", "quick", "true", "depths", "500",
        "repeats", "1", "decode-tokens", "8");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = BenchCli.tiers(flags, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
  }
}
