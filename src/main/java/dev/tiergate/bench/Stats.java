package dev.tiergate.bench;

import java.util.Arrays;
import java.util.List;

/** Order statistics over small samples: medians of repeats, percentiles of latencies. */
public final class Stats {
  private Stats() {}

  /**
   * The median and spread of repeated runs.
   *
   * @param spread half the range, relative to the median (0.03 = ±3%); 0 when there is one run
   */
  public record Summary(double median, double min, double max, int n) {
    public double spread() {
      if (n < 2 || median == 0 || Double.isNaN(median)) {
        return 0;
      }
      return (max - min) / 2 / Math.abs(median);
    }

    public boolean isEmpty() {
      return n == 0;
    }

    public static Summary empty() {
      return new Summary(Double.NaN, Double.NaN, Double.NaN, 0);
    }
  }

  public static Summary summarize(List<Double> values) {
    double[] v = values.stream().filter(d -> d != null && !Double.isNaN(d)).mapToDouble(Double::doubleValue).toArray();
    if (v.length == 0) {
      return Summary.empty();
    }
    Arrays.sort(v);
    return new Summary(percentileSorted(v, 50), v[0], v[v.length - 1], v.length);
  }

  public static double median(double... values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return percentileSorted(v, 50);
  }

  /** Linear interpolation between closest ranks; p in [0, 100]. NaN for an empty array. */
  public static double percentileSorted(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    if (p <= 0) {
      return sorted[0];
    }
    if (p >= 100) {
      return sorted[sorted.length - 1];
    }
    double rank = p / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(sorted.length - 1, lo + 1);
    double f = rank - lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * f;
  }

  /** Percentile of longs (sorted in place), interpolated like {@link #percentileSorted(double[], double)}. */
  public static double percentile(long[] values, int count, double p) {
    if (count == 0) {
      return Double.NaN;
    }
    Arrays.sort(values, 0, count);
    double[] d = new double[count];
    for (int i = 0; i < count; i++) {
      d[i] = values[i];
    }
    return percentileSorted(d, p);
  }
}
