package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void medianOfOddAndEvenCounts() {
    assertEquals(2.0, Stats.median(3, 1, 2));
    assertEquals(2.5, Stats.median(4, 1, 3, 2));
  }

  @Test
  void percentilesInterpolateBetweenRanks() {
    double[] v = {10, 20, 30, 40, 50};
    assertEquals(10, Stats.percentileSorted(v, 0));
    assertEquals(30, Stats.percentileSorted(v, 50));
    assertEquals(50, Stats.percentileSorted(v, 100));
    assertEquals(46, Stats.percentileSorted(v, 90), 1e-9);
    assertTrue(Double.isNaN(Stats.percentileSorted(new double[0], 50)));
  }

  @Test
  void summaryIgnoresFailedRunsAndReportsHalfRangeSpread() {
    Stats.Summary s = Stats.summarize(Arrays.asList(100.0, Double.NaN, 110.0, 90.0));
    assertEquals(3, s.n());
    assertEquals(100.0, s.median());
    assertEquals(0.10, s.spread(), 1e-9);
    assertTrue(Stats.summarize(List.of()).isEmpty());
    assertEquals(0, Stats.summarize(List.of(5.0)).spread());
  }

  @Test
  void reservoirKeepsAFairBoundedSample() {
    Samples s = new Samples(1000);
    for (int i = 1; i <= 100_000; i++) {
      s.add(i);
    }
    assertEquals(100_000, s.seen());
    assertEquals(1000, s.size());
    double median = s.percentile(50);
    assertTrue(median > 40_000 && median < 60_000, "median of a uniform 1..100000 sample: " + median);
  }

  @Test
  void reservoirBelowCapacityIsExact() {
    Samples s = new Samples(10);
    for (long v : new long[] {5, 1, 4, 2, 3}) {
      s.add(v);
    }
    assertEquals(3.0, s.percentile(50));
    assertEquals(5.0, s.percentile(100));
  }
}
