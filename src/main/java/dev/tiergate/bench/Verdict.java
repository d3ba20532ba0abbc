package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed's legitimacy rule as code: a tier earns its corner only with a measured differentiator. On each
 * axis the best tier wins when it beats the runner-up by at least {@link #MIN_GAP} and the ranges of
 * their repeats do not overlap; a tier that wins nowhere is named as such.
 */
public final class Verdict {
  /** Smallest relative lead that counts as a win: below it, run-to-run noise on real rigs decides. */
  public static final double MIN_GAP = 0.05;

  /**
   * One measured axis; {@code higherIsBetter} is false for latencies. An axis that is not {@code judged} is
   * shown but never wins: it restates another axis in other units (and may be skewed where that one is not).
   */
  public record Axis(String name, boolean higherIsBetter, boolean judged) {
    public Axis(String name, boolean higherIsBetter) {
      this(name, higherIsBetter, true);
    }
  }

  private Verdict() {}

  /**
   * @param values axis → (tier → summary of repeats); tiers without a value on an axis are left out of it
   * @param tiers every measured tier, in report order
   * @return tier → the axes it wins, in axis order (empty when none)
   */
  public static Map<String, List<String>> wins(Map<Axis, Map<String, Stats.Summary>> values, List<String> tiers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    tiers.forEach(t -> out.put(t, new ArrayList<>()));
    for (Map.Entry<Axis, Map<String, Stats.Summary>> e : values.entrySet()) {
      if (!e.getKey().judged()) {
        continue;
      }
      String winner = winner(e.getKey(), e.getValue());
      if (winner != null && out.containsKey(winner)) {
        out.get(winner).add(e.getKey().name());
      }
    }
    return out;
  }

  /** The tier that clearly leads on one axis, or null when fewer than two tiers were measured or it is a tie. */
  public static String winner(Axis axis, Map<String, Stats.Summary> byTier) {
    String best = null;
    String second = null;
    for (Map.Entry<String, Stats.Summary> e : byTier.entrySet()) {
      if (e.getValue() == null || e.getValue().isEmpty()) {
        continue;
      }
      if (best == null || better(axis, e.getValue(), byTier.get(best))) {
        second = best;
        best = e.getKey();
      } else if (second == null || better(axis, e.getValue(), byTier.get(second))) {
        second = e.getKey();
      }
    }
    if (best == null || second == null) {
      return null;
    }
    Stats.Summary b = byTier.get(best);
    Stats.Summary s = byTier.get(second);
    double gap = axis.higherIsBetter()
        ? (b.median() - s.median()) / Math.abs(s.median())
        : (s.median() - b.median()) / Math.abs(s.median());
    boolean separated = axis.higherIsBetter() ? b.min() > s.max() : b.max() < s.min();
    return gap >= MIN_GAP && separated ? best : null;
  }

  private static boolean better(Axis axis, Stats.Summary a, Stats.Summary b) {
    return axis.higherIsBetter() ? a.median() > b.median() : a.median() < b.median();
  }

  /** One line per tier: where it wins, or that no measured axis sets it apart. */
  public static List<String> lines(Map<String, List<String>> wins) {
    List<String> out = new ArrayList<>();
    if (wins.size() < 2) {
      wins.keySet().forEach(t -> out.add(t + ": only one tier measured, nothing to compare it with"));
      return out;
    }
    wins.forEach((tier, axes) -> out.add(axes.isEmpty()
        ? tier + ": no measured axis sets it apart (fidelity is not measured here: use KLD or a quality suite)"
        : tier + ": wins " + String.join(", ", axes)));
    return out;
  }
}
