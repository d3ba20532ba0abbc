package dev.tiergate.bench;

import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tiergate bench mix}: one seeded workload replayed against several gateway configurations, each on fresh
 * engines and a fresh gateway that a {@link Rig} starts (the app does, in-process; this package may not know how).
 */
public final class MixBench {
  private static final Pattern SERIES = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([^}]*)}\\s+([0-9.eE+-]+)",
      Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /** A tier's objectives, as its configuration states them. */
  public record Slo(double ttftMs, double tpotMs) {}

  /**
   * A running configuration: where to send requests, where its metrics are (null: none), its tiers in order and their
   * objectives, and how to stop it all.
   */
  public record Target(String baseUrl, String metricsUrl, List<String> tiers, Map<String, Slo> slos, Runnable stop) {}

  /** Starts fresh engines and a fresh gateway for a configuration by name; throws when it cannot. */
  public interface Rig {
    Target start(String config) throws Exception;
  }

  /**
   * One configuration's result; {@code error} says why it did not run (then the rest is empty).
   *
   * @param gatewaySlo tier → {met, missed} from the gateway's {@code tiergate_slo_requests_total}; empty without it
   * @param fallbacks requests the gateway moved to another tier than it first chose ({@code tiergate_fallbacks_total}),
   *     -1 when it did not say
   */
  public record ConfigResult(String name, String error, List<MixOutcome> outcomes, List<String> tiers,
      Map<String, Double> unloaded, Map<String, Slo> slos, Map<String, long[]> gatewaySlo, long fallbacks, double seconds) {
    static ConfigResult failed(String name, String error) {
      return new ConfigResult(name, error, List.of(), List.of(), Map.of(), Map.of(), Map.of(), -1, 0);
    }
  }

  /** The whole run: the plan, how many requests of each class it offered, and each configuration's result. */
  public record Run(MixPlan plan, Map<MixClass, Integer> offered, List<ConfigResult> configs) {}

  private MixBench() {}

  /** Runs every configuration of the plan in turn, on the caller's thread (never an event loop). */
  public static Run run(Rig rig, MixPlan plan, Vertx vertx, PrintStream err) {
    List<MixRequest> workload = plan.workload();
    Map<MixClass, Integer> offered = new EnumMap<>(MixClass.class);
    for (MixClass c : MixClass.values()) {
      offered.put(c, (int) workload.stream().filter(r -> r.kind() == c).count());
    }
    err.println("bench mix: " + workload.size() + " requests " + offered + " over " + plan.durationS() + " s, seed "
        + plan.seed() + ", against " + String.join(", ", plan.configs()));
    MixRunner runner = new MixRunner(vertx, plan);
    Progress progress = new Progress(err, workload.size() * plan.configs().size());
    List<ConfigResult> results = new ArrayList<>();
    try {
      for (String name : plan.configs()) {
        results.add(one(rig, name, runner, workload, progress, err));
      }
    } finally {
      progress.finish();
    }
    return new Run(plan, offered, results);
  }

  private static ConfigResult one(Rig rig, String name, MixRunner runner, List<MixRequest> workload, Progress progress,
      PrintStream err) {
    Target t;
    try {
      t = rig.start(name);
    } catch (Exception e) {
      err.println("bench mix: configuration '" + name + "' did not start: " + e.getMessage());
      for (int i = 0; i < workload.size(); i++) {
        progress.step(name + " did not start");
      }
      return ConfigResult.failed(name, String.valueOf(e.getMessage()));
    }
    try {
      if (!runner.awaitReady(t.baseUrl(), 30_000)) {
        return ConfigResult.failed(name, "the gateway was not ready within 30 s");
      }
      progress.show(name + " unloaded decode");
      Map<String, Double> unloaded = runner.unloaded(t.baseUrl(), t.tiers());
      long start = System.nanoTime();
      List<MixOutcome> outcomes = runner.replay(t.baseUrl(), workload, progress, name);
      double seconds = (System.nanoTime() - start) / 1e9;
      String metrics = t.metricsUrl() == null ? null : runner.text(t.metricsUrl());
      return new ConfigResult(name, null, outcomes, t.tiers(), unloaded, t.slos(), gatewaySlo(metrics), fallbacks(metrics),
          seconds);
    } finally {
      t.stop().run();
    }
  }

  /** tier → {met, missed} from Prometheus text; empty when the series is absent. */
  static Map<String, long[]> gatewaySlo(String metrics) {
    Map<String, long[]> out = new LinkedHashMap<>();
    series(metrics, "tiergate_slo_requests_total").forEach((labels, v) -> {
      String tier = labels.get("tier");
      String met = labels.get("met");
      if (tier != null && met != null) {
        out.computeIfAbsent(tier, k -> new long[2])[met.equals("true") ? 0 : 1] += Math.round(v);
      }
    });
    return out;
  }

  /** The sum of {@code tiergate_fallbacks_total} over its tier pairs; -1 when the series is absent. */
  static long fallbacks(String metrics) {
    Map<Map<String, String>, Double> s = series(metrics, "tiergate_fallbacks_total");
    return s.isEmpty() ? -1 : Math.round(s.values().stream().mapToDouble(Double::doubleValue).sum());
  }

  /** Every labelled sample of one metric in Prometheus text, by its labels; empty when there is none. */
  static Map<Map<String, String>, Double> series(String metrics, String metric) {
    Map<Map<String, String>, Double> out = new LinkedHashMap<>();
    if (metrics == null) {
      return out;
    }
    Matcher m = SERIES.matcher(metrics);
    while (m.find()) {
      if (!m.group(1).equals(metric)) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      Matcher l = LABEL.matcher(m.group(2));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      out.merge(labels, Double.parseDouble(m.group(3)), Double::sum);
    }
    return out;
  }
}
