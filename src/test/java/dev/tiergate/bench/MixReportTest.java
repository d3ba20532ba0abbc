package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixReportTest {
  private static final Map<String, MixBench.Slo> SLOS = Map.of("fast", new MixBench.Slo(2000, 100),
      "prefill", new MixBench.Slo(60_000, 150));

  /** A request of {@code kind} answered {@code status} by {@code tier} with the given TTFT and 11 tokens 50 ms apart. */
  static MixOutcome outcome(int i, MixClass kind, int status, String tier, double ttftMs) {
    MixRequest r = new MixRequest(i, kind, i * 100L, 500, 11, 0, 0, "{}", Map.of());
    if (status == 0) {
      return new MixOutcome(r, 0, "connection refused", null, null, i * 100_000L, -1, -1, 0, 0, Double.NaN, Double.NaN,
          new long[0]);
    }
    if (status != 200) {
      return new MixOutcome(r, status, "busy", tier, null, i * 100_000L, -1, -1, 0, 0, 800, Double.NaN, new long[0]);
    }
    long sent = i * 100_000L;
    long first = sent + Math.round(ttftMs * 1000);
    return new MixOutcome(r, 200, null, tier, null, sent, first, first + 500_000, 11, 11, Double.NaN, ttftMs - 10, new long[0]);
  }

  /** Interactive TTFTs 100..(100 + 10 n) ms on fast, one agent on prefill, one batch rejected, and the extras. */
  static MixBench.ConfigResult config(String name, double interactiveScale, List<MixOutcome> extra) {
    List<MixOutcome> os = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      os.add(outcome(i, MixClass.INTERACTIVE, 200, "fast", interactiveScale * (100 + 10 * i)));
    }
    os.add(outcome(20, MixClass.AGENT, 200, "prefill", 30_000));
    os.add(outcome(21, MixClass.BATCH, 429, null, 0));
    os.addAll(extra);
    return new MixBench.ConfigResult(name, null, os, List.of("fast", "prefill"), Map.of("fast", 80.0, "prefill", 60.0), SLOS,
        Map.of("fast", new long[] {18, 2}), 3, 12.5);
  }

  static MixBench.Run run(MixBench.ConfigResult... configs) {
    Map<MixClass, Integer> offered = new EnumMap<>(MixClass.class);
    offered.put(MixClass.INTERACTIVE, 20);
    offered.put(MixClass.AGENT, 1);
    offered.put(MixClass.BATCH, 1);
    return new MixBench.Run(MixPlan.quick(), offered, List.of(configs));
  }

  @Test
  void countsAddUpAndPercentilesAreOrdered() {
    MixSummary s = MixSummary.of(config("rule", 1, List.of(outcome(22, MixClass.INTERACTIVE, 0, null, 0),
        outcome(23, MixClass.INTERACTIVE, 502, "fast", 0))));
    MixSummary.ClassStats in = s.classes().get(MixClass.INTERACTIVE);
    assertEquals(22, in.sent());
    assertEquals(in.sent(), in.ok() + in.rejected() + in.failed() + in.lost());
    assertEquals(List.of(20, 0, 1, 1), List.of(in.ok(), in.rejected(), in.failed(), in.lost()));
    assertEquals(195, in.ttftP50(), 1e-9, "median of 100..290");
    assertTrue(in.ttftP50() <= in.ttftP95() && in.ttftP95() <= in.ttftP99() && in.ttftP99() <= 290);
    MixSummary.Counts c = s.counts();
    assertEquals(c.sent(), c.ok() + c.rejected429() + c.rejected503() + c.failed() + c.lost());
    assertEquals(1, c.rejected429());
    assertEquals(2, c.queued(), "the 429 and the 502 said they waited 800 ms");
    assertEquals(1, s.classes().get(MixClass.BATCH).rejected());
  }

  @Test
  void goodputIsPerTierOverWhatItAnsweredAndShowsTheGatewaysCount() {
    MixSummary s = MixSummary.of(config("rule", 1, List.of(outcome(22, MixClass.INTERACTIVE, 200, "fast", 2500))));
    MixSummary.TierGoodput fast = s.tiers().get(0);
    assertEquals("fast", fast.tier());
    assertEquals(21, fast.answered());
    assertEquals(20, fast.met(), "the 2.5 s TTFT misses fast's 2 s objective");
    assertEquals(0.9, fast.gatewayShare(), 1e-9);
    MixSummary.TierGoodput prefill = s.tiers().get(1);
    assertEquals(1.0, prefill.share(), 1e-9);
    assertTrue(Double.isNaN(prefill.gatewayShare()), "no gateway series for prefill");
  }

  @Test
  void targetsAreJudgedFromInteractiveP95AgainstEachBaseline() {
    MixBench.Run run = run(config("rr", 1.1, List.of()), config("rule", 1.0, List.of()), config("predicted", 0.6, List.of()));
    List<String> t = MixReport.targets(run);
    assertTrue(t.get(0).startsWith("interactive p95 TTFT ≥ 30 % below rule: met (predicted"), t.get(0));
    assertTrue(t.get(1).startsWith("interactive p95 TTFT ≥ 50 % below rr: NOT met"), t.get(1));
    assertTrue(t.get(2).contains("not judged"), "no stream overlapped a prefill: " + t.get(2));
    assertEquals("no request lost: met (0 lost)", t.get(3));
    assertEquals(List.of(), MixReport.failures(run));

    MixBench.Run both = run(config("rr", 1.1, List.of()), config("rule", 1.0, List.of()), config("predicted", 0.6, List.of()),
        config("predicted-completion", 0.8, List.of()));
    List<String> t2 = MixReport.targets(both);
    assertEquals(7, t2.size(), "three targets for each predicted configuration, then lost requests: " + t2);
    assertTrue(t2.get(0).startsWith("predicted: interactive p95 TTFT ≥ 30 % below rule: met (predicted "), t2.get(0));
    assertTrue(t2.get(3).startsWith("predicted-completion: interactive p95 TTFT ≥ 30 % below rule: NOT met (predicted-completion "),
        t2.get(3));
    assertTrue(t2.get(6).startsWith("no request lost"), t2.get(6));
  }

  @Test
  void aLostRequestOrAConfigurationThatDidNotRunFailsTheRun() {
    MixBench.Run run = run(config("rule", 1, List.of(outcome(22, MixClass.AGENT, 0, null, 0))),
        MixBench.ConfigResult.failed("predicted", "unknown key 'mode'"));
    List<String> f = MixReport.failures(run);
    assertEquals(2, f.size(), f.toString());
    assertTrue(f.get(0).contains("rule lost 1 request(s), e.g. #22 (agent): connection refused"), f.get(0));
    assertTrue(f.get(1).contains("configuration 'predicted' did not run: unknown key 'mode'"), f.get(1));
    assertTrue(MixReport.targets(run).get(3).startsWith("no request lost: NOT met"));
    assertTrue(MixReport.table(run).contains("configuration predicted did not run: unknown key 'mode'"));
  }

  @Test
  void theTableHasEveryConfigurationAndClassAndTheJsonHasNoNaN() {
    MixBench.Run run = run(config("rr", 1.5, List.of()), config("rule", 1.0, List.of()));
    String table = MixReport.table(run);
    for (String c : List.of("rr", "rule")) {
      for (MixClass k : MixClass.values()) {
        assertTrue(table.contains("| " + c + " ".repeat(7 - c.length()) + "| " + " ".repeat(11 - k.label().length())
            + k.label() + " |"), c + "/" + k + "\n" + table);
      }
    }
    assertTrue(table.contains("TTFT predictions"), "the x-tiergate-predicted-ttft-ms errors are shown when present");
    String text = MixReport.json(run).encode();
    assertFalse(text.contains("NaN"), text);
    JsonObject json = new JsonObject(text);
    assertEquals(2, json.getJsonArray("configs").size());
    JsonObject rule = json.getJsonArray("configs").getJsonObject(1);
    assertEquals(22, rule.getJsonArray("requests").size());
    assertEquals(20, rule.getJsonObject("summary").getJsonObject("classes").getJsonObject("interactive").getInteger("ok"));
    assertEquals(4, json.getJsonArray("targets").size());
  }

  @Test
  void readsTheGatewaysSloCounterFromPrometheusText() {
    String metrics = """
        # HELP tiergate_slo_requests_total Requests by whether they met their tier's objectives
        # TYPE tiergate_slo_requests_total counter
        tiergate_slo_requests_total{met="true",tier="fast"} 12.0
        tiergate_slo_requests_total{met="false",tier="fast"} 3.0
        tiergate_slo_requests_total{tier="max",met="false"} 1.0
        tiergate_requests_total{tier="fast"} 99.0
        """;
    Map<String, long[]> got = MixBench.gatewaySlo(metrics);
    Map<String, List<Long>> flat = new LinkedHashMap<>();
    got.forEach((k, v) -> flat.put(k, List.of(v[0], v[1])));
    assertEquals(Map.of("fast", List.of(12L, 3L), "max", List.of(0L, 1L)), flat);
    assertEquals(Map.of(), MixBench.gatewaySlo(null));
  }

  @Test
  void sumsTheGatewaysFallbacksAndSaysWhenItHasNone() {
    String metrics = """
        tiergate_fallbacks_total{from_tier="prefill",to_tier="max"} 2.0
        tiergate_fallbacks_total{from_tier="max",to_tier="fast"} 1.0
        tiergate_fallbacks_total{from_tier="fast",to_tier="max"} 0.0
        """;
    assertEquals(3, MixBench.fallbacks(metrics));
    assertEquals(-1, MixBench.fallbacks("tiergate_requests_total{tier=\"fast\"} 1.0\n"));
    assertTrue(MixReport.table(run(config("rule", 1, List.of()))).contains("| moved |"));
  }
}
