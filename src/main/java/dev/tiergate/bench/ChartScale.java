package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.List;

/** A linear scale from zero to a round number at or above the largest value, with about 3 to 6 round ticks. */
record ChartScale(double max, double step) {
  private static final double[] NICE = {1, 2, 2.5, 5, 10};

  /**
   * Bars start at zero so their lengths compare; the scale ends on the first round tick past {@code largest},
   * with a step no smaller than {@code largest / intervals}.
   */
  static ChartScale upTo(double largest, int intervals) {
    if (!(largest > 0) || Double.isInfinite(largest)) {
      return new ChartScale(1, 0.25);
    }
    double raw = largest / Math.max(1, intervals);
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = magnitude;
    for (double n : NICE) {
      if (n * magnitude >= raw) {
        step = n * magnitude;
        break;
      }
    }
    return new ChartScale(Math.ceil(largest / step - 1e-9) * step, step);
  }

  double fraction(double v) {
    return Math.max(0, Math.min(1, v / max));
  }

  List<Double> ticks() {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i * step <= max + step * 1e-9; i++) {
      out.add(i * step);
    }
    return out;
  }
}
