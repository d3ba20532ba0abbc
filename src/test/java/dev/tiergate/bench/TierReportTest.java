package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
