package dev.tiergate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code bench mix} as text tables, JSON, the issue's targets judged, and the failures that make the run fail. */
public final class MixReport {
  static final String RR = "rr";
  static final String RULE = "rule";
  static final String PREDICTED = "predicted";

  private MixReport() {}

  static Map<String, MixSummary> summaries(MixBench.Run run) {
    Map<String, MixSummary> out = new LinkedHashMap<>();
    run.configs().stream().filter(c -> c.error() == null).forEach(c -> out.put(c.name(), MixSummary.of(c)));
    return out;
  }

  public static String table(MixBench.Run run) {
    Map<String, MixSummary> s = summaries(run);
    StringBuilder sb = new StringBuilder();
    MixPlan p = run.plan();
    sb.append(String.format(Locale.ROOT, "bench mix: seed %d, %d s at %.2f req/s; offered %s%n%n", p.seed(), p.durationS(),
        p.rate(), run.offered().entrySet().stream().map(e -> e.getValue() + " " + e.getKey().label())
            .collect(Collectors.joining(", "))));
    for (MixBench.ConfigResult c : run.configs()) {
      if (c.error() != null) {
        sb.append("configuration ").append(c.name()).append(" did not run: ").append(c.error()).append("\n\n");
      }
    }
    if (s.isEmpty()) {
      return sb.toString();
    }
    sb.append("TTFT by class (client-measured, ms; over requests that got a first output)\n\n");
    TextTable ttft = new TextTable(List.of("config", "class", "sent", "ok", "queued", "rejected", "failed", "lost", "p50",
        "p95", "p99"));
    s.forEach((name, m) -> m.classes().forEach((c, st) -> ttft.row(List.of(name, c.label(), i(st.sent()), i(st.ok()),
        i(st.queued()), i(st.rejected()), i(st.failed()), i(st.lost()), TextTable.num(st.ttftP50()),
        TextTable.num(st.ttftP95()), TextTable.num(st.ttftP99())))));
    sb.append(ttft.render()).append('\n');

    sb.append("Interactive decode (each stream's tokens/s after its first token; beside a prefill = the stream decoded ≥ ")
        .append(MixOverlap.MIN_OVERLAP_US / 1_000_000).append(" s while an agent or batch prompt prefilled there)\n\n");
    TextTable dec = new TextTable(List.of("config", "streams", "count", "min t/s", "p5 t/s", "p50 t/s", "p5 / unloaded"));
    for (MixBench.ConfigResult c : run.configs()) {
      MixSummary m = s.get(c.name());
      if (m != null) {
        decodeRow(dec, c.name(), "beside a prefill on their tier", m.decode().sameTier());
        decodeRow(dec, c.name(), "beside a prefill anywhere", m.decode().anyTier());
        decodeRow(dec, c.name(), "all", m.decode().all());
      }
    }
    sb.append(dec.render());
    sb.append("unloaded t/s (one stream alone, before each replay): ").append(run.configs().stream()
        .map(c -> c.name() + ": " + c.unloaded().entrySet().stream().map(e -> e.getKey() + " " + TextTable.num(e.getValue()))
            .collect(Collectors.joining(", "))).collect(Collectors.joining("; "))).append("\n\n");

    sb.append("Goodput per tier (of the requests a tier answered, the share within its SLO: client clock, and the "
        + "gateway's tiergate_slo_requests_total)\n\n");
    TextTable good = new TextTable(List.of("config", "tier", "SLO ttft/tpot ms", "answered", "met", "goodput", "gateway"));
    s.forEach((name, m) -> m.tiers().forEach(g -> good.row(List.of(name, g.tier(),
        g.slo() == null ? "-" : TextTable.num(g.slo().ttftMs()) + " / " + TextTable.num(g.slo().tpotMs()), i(g.answered()),
        i(g.met()), pct(g.share()), g.gatewayTotal() < 0 ? "n/a" : pct(g.gatewayShare()) + " of " + g.gatewayTotal()))));
    sb.append(good.render()).append('\n');

    sb.append("Requests (every request ends ok, rejected, failed or lost; queued = held by the gateway first; moved = "
        + "served by another tier than the gateway first chose, tiergate_fallbacks_total)\n\n");
    TextTable req = new TextTable(List.of("config", "sent", "ok", "queued", "429", "503", "failed", "lost", "moved", "wall s"));
    for (MixBench.ConfigResult c : run.configs()) {
      MixSummary m = s.get(c.name());
      if (m != null) {
        MixSummary.Counts k = m.counts();
        req.row(List.of(c.name(), i(k.sent()), i(k.ok()), i(k.queued()), i(k.rejected429()), i(k.rejected503()),
            i(k.failed()), i(k.lost()), c.fallbacks() < 0 ? "n/a" : Long.toString(c.fallbacks()), TextTable.num(c.seconds())));
      }
    }
    sb.append(req.render()).append('\n');

    TextTable pred = new TextTable(List.of("config", "tier", "predicted", "median error ms", "p95 |error| ms"));
    s.forEach((name, m) -> m.predictions().forEach((tier, e) -> pred.row(List.of(name, tier, i(e.n()),
        TextTable.num(e.medianErrorMs()), TextTable.num(e.p95AbsErrorMs())))));
    if (pred.rowCount() > 0) {
      sb.append("TTFT predictions (x-tiergate-predicted-ttft-ms; error = client TTFT − predicted)\n\n")
          .append(pred.render()).append('\n');
    }
    sb.append("Targets (issue 11)\n");
    targets(run).forEach(t -> sb.append("  ").append(t).append('\n'));
    return sb.toString();
  }

  /** The issue's targets, each "met", "NOT met" or "not judged" with the numbers behind it. */
  private static void decodeRow(TextTable t, String config, String scope, MixSummary.Rates r) {
    t.row(List.of(config, scope, i(r.streams()), TextTable.num(r.minTps()), TextTable.num(r.p5Tps()), TextTable.num(r.p50Tps()),
        pct(r.p5Ratio())));
  }

  /** The issue's targets, judged for each predicted configuration that ran ("predicted", "predicted-completion"). */
  public static List<String> targets(MixBench.Run run) {
    Map<String, MixSummary> s = summaries(run);
    List<String> judged = s.keySet().stream().filter(n -> n.startsWith(PREDICTED)).toList();
    if (judged.isEmpty()) {
      judged = List.of(PREDICTED);
    }
    List<String> out = new ArrayList<>();
    for (String name : judged) {
      String who = judged.size() > 1 ? name + ": " : "";
      out.add(who + ttftTarget(s, name, RULE, 0.30));
      out.add(who + ttftTarget(s, name, RR, 0.50));
      out.add(who + decodeTarget(s, name));
    }
    int lost = s.values().stream().mapToInt(m -> m.counts().lost()).sum();
    boolean allRan = run.configs().stream().allMatch(c -> c.error() == null);
    out.add("no request lost: " + (allRan ? verdict(lost == 0) : lost > 0 ? verdict(false) : "not judged (a configuration did not run)")
        + " (" + lost + " lost)");
    return out;
  }

  private static String decodeTarget(Map<String, MixSummary> s, String name) {
    String what = "interactive decode p5 ≥ 50 % of unloaded while long prefills run: ";
    MixSummary p = s.get(name);
    if (p == null) {
      return what + "not judged (" + name + " did not run)";
    }
    if (p.decode().anyTier().streams() == 0) {
      return what + "not judged (" + name + ": no interactive stream decoded ≥ " + MixOverlap.MIN_OVERLAP_US / 1_000_000
          + " s while an agent or batch prompt prefilled)";
    }
    MixSummary.Rates any = p.decode().anyTier();
    double r = any.p5Ratio();
    return what + verdict(r >= 0.5) + " (" + name + ": p5 " + TextTable.num(any.p5Tps()) + " t/s = " + pct(r)
        + " of unloaded over the " + any.streams() + " streams that decoded while an agent or batch prompt prefilled; "
        + p.decode().sameTier().streams() + " of them on the same tier)";
  }

  private static String ttftTarget(Map<String, MixSummary> s, String name, String base, double cut) {
    String what = "interactive p95 TTFT ≥ " + Math.round(cut * 100) + " % below " + base + ": ";
    MixSummary p = s.get(name);
    MixSummary b = s.get(base);
    if (p == null || b == null) {
      return what + "not judged (" + (p == null ? name : base) + " did not run)";
    }
    double pv = p.classes().get(MixClass.INTERACTIVE).ttftP95();
    double bv = b.classes().get(MixClass.INTERACTIVE).ttftP95();
    if (Double.isNaN(pv) || Double.isNaN(bv) || bv <= 0) {
      return what + "not judged (no interactive TTFT in one of them)";
    }
    double below = 1 - pv / bv;
    return what + verdict(below >= cut) + " (" + name + " " + TextTable.num(pv) + " ms vs " + base + " " + TextTable.num(bv)
        + " ms: " + pct(below) + " below)";
  }

  private static String verdict(boolean met) {
    return met ? "met" : "NOT met";
  }

  /** Why the run failed: a configuration that did not run, a request that got no status. Empty when it did not. */
  public static List<String> failures(MixBench.Run run) {
    List<String> out = new ArrayList<>();
    for (MixBench.ConfigResult c : run.configs()) {
      if (c.error() != null) {
        out.add("bench mix: configuration '" + c.name() + "' did not run: " + c.error());
        continue;
      }
      List<MixOutcome> lost = c.outcomes().stream().filter(MixOutcome::lost).toList();
      if (!lost.isEmpty()) {
        out.add("bench mix: " + c.name() + " lost " + lost.size() + " request(s), e.g. #" + lost.get(0).request().index()
            + " (" + lost.get(0).kind().label() + "): " + lost.get(0).error());
      }
    }
    return out;
  }

  public static JsonObject json(MixBench.Run run) {
    MixPlan p = run.plan();
    JsonObject offered = new JsonObject();
    run.offered().forEach((c, n) -> offered.put(c.label(), n));
    JsonArray configs = new JsonArray();
    Map<String, MixSummary> s = summaries(run);
    for (MixBench.ConfigResult c : run.configs()) {
      JsonObject o = new JsonObject().put("name", c.name()).put("error", c.error());
      MixSummary m = s.get(c.name());
      if (m != null) {
        o.put("seconds", c.seconds()).put("fallbacks", c.fallbacks() < 0 ? null : c.fallbacks())
            .put("unloadedDecodeTps", new JsonObject(new LinkedHashMap<>(c.unloaded()))).put("summary", summaryJson(m))
            .put("requests", requestsJson(c.outcomes()));
      }
      configs.add(o);
    }
    return (JsonObject) finite(new JsonObject().put("seed", p.seed()).put("durationS", p.durationS()).put("rate", p.rate())
        .put("shape", JsonObject.mapFrom(p.shape())).put("offered", offered).put("configs", configs)
        .put("targets", new JsonArray(targets(run))));
  }

  /** NaN (a percentile of nothing) becomes null: JSON has no NaN, and a reader must not parse "NaN" strings. */
  static Object finite(Object v) {
    if (v instanceof JsonObject o) {
      for (String k : List.copyOf(o.fieldNames())) {
        o.put(k, finite(o.getValue(k)));
      }
      return o;
    }
    if (v instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, finite(a.getValue(i)));
      }
      return a;
    }
    return v instanceof Double d ? nanToNull(d) : v;
  }

  private static JsonObject summaryJson(MixSummary m) {
    JsonObject classes = new JsonObject();
    m.classes().forEach((c, st) -> classes.put(c.label(), JsonObject.mapFrom(st)));
    JsonArray tiers = new JsonArray();
    m.tiers().forEach(g -> tiers.add(JsonObject.mapFrom(g).put("goodput", nanToNull(g.share()))
        .put("gatewayGoodput", nanToNull(g.gatewayShare()))));
    JsonObject pred = new JsonObject();
    m.predictions().forEach((t, e) -> pred.put(t, JsonObject.mapFrom(e)));
    return new JsonObject().put("classes", classes).put("decodeUnderPrefill", JsonObject.mapFrom(m.decode()))
        .put("tiers", tiers).put("counts", JsonObject.mapFrom(m.counts())).put("predictions", pred);
  }

  private static JsonArray requestsJson(List<MixOutcome> outcomes) {
    JsonArray a = new JsonArray();
    for (MixOutcome o : outcomes) {
      MixRequest r = o.request();
      a.add(new JsonObject().put("index", r.index()).put("class", r.kind().label()).put("atMs", r.atMs())
          .put("promptTokens", r.promptTokens()).put("maxTokens", r.maxTokens()).put("session", r.session())
          .put("turn", r.turn()).put("status", o.status()).put("error", o.error()).put("tier", o.tier())
          .put("reason", o.reason())
          .put("sentMs", o.sentUs() / 1000.0).put("ttftMs", nanToNull(o.ttftMs())).put("tpotMs", nanToNull(o.tpotMs()))
          .put("completionTokens", o.completionTokens()).put("waitedMs", nanToNull(o.waitedMs()))
          .put("predictedTtftMs", nanToNull(o.predictedTtftMs())));
    }
    return a;
  }

  private static Double nanToNull(double d) {
    return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
  }

  private static String i(int v) {
    return Integer.toString(v);
  }

  private static String pct(double v) {
    return Double.isNaN(v) ? "n/a" : Math.round(v * 100) + " %";
  }
}
