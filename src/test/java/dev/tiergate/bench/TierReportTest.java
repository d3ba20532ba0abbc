package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TierReportTest {
  private static final double NAN = Double.NaN;

  @Test
  void aTierWithNoValueAtAllIsAFailureNamedWithItsErrors() {
    TierBench.Report report = TierChartTest.report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "max", new double[] {NAN, NAN, NAN, NAN, NAN, NAN, NAN}), List.of("fast", "max"), "HTTP 503: no backend");
    assertEquals(List.of("bench tiers: tier 'max' produced no measurement: HTTP 503: no backend"), TierReport.failures(report));
  }

  @Test
  void aTierWithSomeValuesIsNotAFailure() {
    TierBench.Report report = TierChartTest.report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "max", new double[] {193, NAN, NAN, NAN, NAN, NAN, NAN}), List.of("fast", "max"), "HTTP 400: too long");
    assertEquals(List.of(), TierReport.failures(report));
  }

  @Test
  void aFailureWithoutNotesSaysSo() {
    TierBench.Report report = TierChartTest.report(Map.of(
        "engine", new double[] {NAN, NAN, NAN, NAN, NAN, NAN, NAN}), List.of("engine"));
    assertEquals(List.of("bench tiers: tier 'engine' produced no measurement: no call produced output, and none reported an error"),
        TierReport.failures(report));
  }

  @Test
  void theJsonReadsBackIntoTheSameReportAndChart() {
    TierBench.Report report = TierChartTest.report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "max", new double[] {193, 2700, 6100, 1277, 1342, 69.1, 69.0}), List.of("fast", "max"));
    JsonObject json = new JsonObject(TierReport.json(report).encode());
    TierBench.Report back = TierReport.fromJson(json);
    assertEquals(report.axes(), back.axes());
    assertEquals(report.wins(), back.wins());
    assertEquals(TierChart.svg(report, null), TierReport.svg(json), "the gateway draws what bench tiers --svg draws");
    // a report written before the axes were in the JSON: the axes follow from their names
    json.remove("axes");
    assertEquals(report.axes(), TierReport.fromJson(json).axes());
  }

  @Test
  void whatIsNotAReportSaysWhy() {
    assertEquals("the report: 'tiers' must be an array",
        assertThrows(IllegalArgumentException.class, () -> TierReport.fromJson(new JsonObject())).getMessage());
    assertEquals("tiers[0].tier: required (a name)", assertThrows(IllegalArgumentException.class,
        () -> TierReport.fromJson(new JsonObject("{\"tiers\":[{\"axes\":{}}]}"))).getMessage());
  }
}
