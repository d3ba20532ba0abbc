package dev.tiergate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Renders a {@link TierBench.Report} as a table (stdout), JSON and CSV. */
public final class TierReport {
  private TierReport() {}

  public static String table(TierBench.Report report) {
    List<String> header = new ArrayList<>();
    header.add("tier");
    report.axes().forEach(a -> header.add(a.name()));
    header.add("wins");
    TextTable t = new TextTable(header);
    for (TierBench.TierResult r : report.tiers()) {
      List<String> row = new ArrayList<>();
      row.add(r.tier());
      report.axes().forEach(a -> row.add(TextTable.summary(r.axes().getOrDefault(a.name(), Stats.Summary.empty()))));
      List<String> wins = report.wins().getOrDefault(r.tier(), List.of());
      row.add(wins.isEmpty() ? "-" : String.join(", ", wins));
      t.row(row);
    }
    StringBuilder sb = new StringBuilder(t.render());
    sb.append('\n');
    Verdict.lines(report.wins()).forEach(l -> sb.append(l).append('\n'));
    for (TierBench.TierResult r : report.tiers()) {
      r.notes().forEach(n -> sb.append("note (").append(r.tier()).append("): ").append(n).append('\n'));
    }
    for (TierBench.TierResult r : report.tiers()) {
      JsonObject p = ProfileFit.profile(r);
      if (p != null) {
        sb.append("tier ").append(r.tier()).append(", for the predictor to start from: ").append(ProfileFit.yaml(p)).append('\n');
      }
    }
    sb.append("cells: median ±half-range over repeats; TTFT and prefill measured on the client, so they include "
        + "the gateway and loopback.\n");
    if (report.axes().stream().anyMatch(a -> !a.judged())) {
      sb.append("TTFT@NK: TTFT at the long prompt, shown but not judged (prefill t/s is the same measurement per token, "
          + "and a clipped prompt shortens it).\n");
    }
    return sb.toString();
  }

  public static JsonObject json(TierBench.Report report) {
    JsonArray tiers = new JsonArray();
    for (TierBench.TierResult r : report.tiers()) {
      JsonObject axes = new JsonObject();
      r.axes().forEach((k, s) -> axes.put(k, new JsonObject().put("median", finite(s.median())).put("min", finite(s.min()))
          .put("max", finite(s.max())).put("n", s.n())));
      JsonObject depths = new JsonObject();
      r.depths().forEach(depths::put);
      tiers.add(new JsonObject().put("tier", r.tier()).put("axes", axes).put("promptTokens", depths)
          .put("profile", ProfileFit.profile(r))
          .put("wins", new JsonArray(report.wins().getOrDefault(r.tier(), List.of())))
          .put("notes", new JsonArray(r.notes())));
    }
    return new JsonObject().put("tiers", tiers).put("verdict", new JsonArray(Verdict.lines(report.wins())));
  }

  public static String csv(TierBench.Report report) {
    StringBuilder sb = new StringBuilder("tier,axis,median,min,max,n,wins\n");
    for (TierBench.TierResult r : report.tiers()) {
      List<String> wins = report.wins().getOrDefault(r.tier(), List.of());
      for (Verdict.Axis a : report.axes()) {
        Stats.Summary s = r.axes().getOrDefault(a.name(), Stats.Summary.empty());
        sb.append(r.tier()).append(',').append(a.name()).append(',').append(cell(s.median())).append(',')
            .append(cell(s.min())).append(',').append(cell(s.max())).append(',').append(s.n()).append(',')
            .append(wins.contains(a.name())).append('\n');
      }
    }
    return sb.toString();
  }

  /** One line per tier that produced no value on any axis, with what its notes say went wrong. */
  public static List<String> failures(TierBench.Report report) {
    List<String> out = new ArrayList<>();
    for (TierBench.TierResult r : report.tiers()) {
      if (r.axes().values().stream().allMatch(Stats.Summary::isEmpty)) {
        String why = r.notes().isEmpty() ? "no call produced output, and none reported an error" : String.join("; ", r.notes());
        out.add("bench tiers: tier '" + r.tier() + "' produced no measurement: " + why);
      }
    }
    return out;
  }

  private static Double finite(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }

  private static String cell(double v) {
    return Double.isNaN(v) ? "" : String.format(java.util.Locale.ROOT, "%.3f", v);
  }
}
