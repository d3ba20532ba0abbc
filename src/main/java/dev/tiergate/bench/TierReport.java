package dev.tiergate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    JsonArray axes = new JsonArray();
    report.axes().forEach(a -> axes.add(new JsonObject().put("name", a.name()).put("higherIsBetter", a.higherIsBetter())
        .put("judged", a.judged())));
    return new JsonObject().put("tiers", tiers).put("axes", axes).put("verdict", new JsonArray(Verdict.lines(report.wins())));
  }

  /**
   * The report {@link #json} wrote, read back (for the gateway's console, which draws it). Reports
   * written before {@code axes} was part of the JSON get their axes from the names: {@code t/s} is
   * better higher, {@code ms} lower, and TTFT at a long prompt is shown but not judged.
   *
   * @throws IllegalArgumentException naming what is missing or malformed
   */
  public static TierBench.Report fromJson(JsonObject json) {
    JsonArray tiers = array(json, "tiers", "the report");
    if (tiers.isEmpty()) {
      throw new IllegalArgumentException("tiers: empty");
    }
    List<TierBench.TierResult> results = new ArrayList<>();
    Map<String, List<String>> wins = new LinkedHashMap<>();
    Map<String, Verdict.Axis> axes = new LinkedHashMap<>();
    JsonArray declared = json.getValue("axes") instanceof JsonArray a ? a : new JsonArray();
    for (int i = 0; i < declared.size(); i++) {
      JsonObject a = object(declared.getValue(i), "axes[" + i + "]");
      String name = text(a, "name", "axes[" + i + "]");
      axes.put(name, new Verdict.Axis(name, Boolean.TRUE.equals(a.getValue("higherIsBetter")), !Boolean.FALSE.equals(a.getValue("judged"))));
    }
    for (int i = 0; i < tiers.size(); i++) {
      String at = "tiers[" + i + "]";
      JsonObject t = object(tiers.getValue(i), at);
      String tier = text(t, "tier", at);
      JsonObject ax = t.getValue("axes") instanceof JsonObject o ? o : new JsonObject();
      Map<String, Stats.Summary> values = new LinkedHashMap<>();
      for (String name : ax.fieldNames()) {
        JsonObject c = object(ax.getValue(name), at + ".axes." + name);
        values.put(name, new Stats.Summary(number(c, "median"), number(c, "min"), number(c, "max"),
            c.getValue("n") instanceof Number n ? n.intValue() : 0));
        axes.computeIfAbsent(name, n -> new Verdict.Axis(n, n.endsWith("t/s"), !n.matches("TTFT@\\d+K ms")));
      }
      Map<String, Integer> depths = new LinkedHashMap<>();
      if (t.getValue("promptTokens") instanceof JsonObject d) {
        d.forEach(e -> depths.put(e.getKey(), e.getValue() instanceof Number n ? n.intValue() : 0));
      }
      List<String> notes = new ArrayList<>();
      List<String> won = new ArrayList<>();
      strings(t, "notes", notes);
      strings(t, "wins", won);
      wins.put(tier, won);
      results.add(new TierBench.TierResult(tier, values, depths, notes));
    }
    return new TierBench.Report(results, List.copyOf(axes.values()), wins);
  }

  /** The chart {@code bench tiers --svg} draws, from the JSON report (its {@code caption} when it has one). */
  public static String svg(JsonObject json) {
    Object caption = json.getValue("caption");
    return TierChart.svg(fromJson(json), caption instanceof String c ? c : null);
  }

  private static JsonArray array(JsonObject o, String key, String at) {
    if (!(o.getValue(key) instanceof JsonArray a)) {
      throw new IllegalArgumentException(at + ": '" + key + "' must be an array");
    }
    return a;
  }

  private static JsonObject object(Object v, String at) {
    if (!(v instanceof JsonObject o)) {
      throw new IllegalArgumentException(at + ": must be an object");
    }
    return o;
  }

  private static String text(JsonObject o, String key, String at) {
    if (!(o.getValue(key) instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(at + "." + key + ": required (a name)");
    }
    return s;
  }

  private static double number(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static void strings(JsonObject o, String key, List<String> into) {
    if (o.getValue(key) instanceof JsonArray a) {
      a.forEach(v -> into.add(String.valueOf(v)));
    }
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
