package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/** The numbers of one configuration's run, from its outcomes: what the report prints and the targets judge. */
public record MixSummary(Map<MixClass, ClassStats> classes, DecodeStats decode, List<TierGoodput> tiers, Counts counts,
    Map<String, Prediction> predictions) {

  /**
   * One class: how many were sent and how they ended, and TTFT percentiles over the requests that got a first output.
   */
  public record ClassStats(int sent, int ok, int queued, int rejected, int failed, int lost, double ttftP50,
      double ttftP95, double ttftP99) {}

  /**
   * Interactive streams' decode rates (each stream's output after its first token): while an agent or batch prompt
   * prefilled on the same tier ({@link MixOverlap}, the starvation admission control prevents), while one prefilled
   * anywhere in the fleet (what a user sees while long prompts run), and over every interactive stream (a router
   * that keeps long prefills away from chats but piles the chats on one tier shows there).
   */
  public record DecodeStats(Rates sameTier, Rates anyTier, Rates all) {}

  /** Decode rates of some streams: count, min, p5 and p50 tokens/s, and the p5 of each rate over its tier's unloaded rate. */
  public record Rates(int streams, double minTps, double p5Tps, double p50Tps, double p5Ratio) {
    static Rates of(List<double[]> tpsAndUnloaded) {
      double[] tps = tpsAndUnloaded.stream().mapToDouble(r -> r[0]).sorted().toArray();
      double[] ratio = tpsAndUnloaded.stream().mapToDouble(r -> r[0] / r[1]).filter(d -> !Double.isNaN(d)).sorted().toArray();
      return new Rates(tps.length, tps.length == 0 ? Double.NaN : tps[0], Stats.percentileSorted(tps, 5),
          Stats.percentileSorted(tps, 50), Stats.percentileSorted(ratio, 5));
    }
  }

  /**
   * A tier's goodput: of the requests it answered (200), the share that met its SLO by the client's clock, and the
   * gateway's own count ({@code tiergate_slo_requests_total}) when it exports one (-1 otherwise).
   */
  public record TierGoodput(String tier, MixBench.Slo slo, int answered, int met, long gatewayMet, long gatewayTotal) {
    public double share() {
      return answered > 0 && slo != null ? (double) met / answered : Double.NaN;
    }

    public double gatewayShare() {
      return gatewayTotal > 0 ? (double) gatewayMet / gatewayTotal : Double.NaN;
    }
  }

  /** Every request ends in exactly one of ok, rejected, failed and lost; queued overlaps them. */
  public record Counts(int sent, int ok, int queued, int rejected429, int rejected503, int failed, int lost) {}

  /** The gateway's TTFT prediction against the client's TTFT: median signed error and p95 of the absolute error. */
  public record Prediction(int n, double medianErrorMs, double p95AbsErrorMs) {}

  public static MixSummary of(MixBench.ConfigResult r) {
    List<MixOutcome> all = r.outcomes();
    Map<MixClass, ClassStats> classes = new EnumMap<>(MixClass.class);
    for (MixClass c : MixClass.values()) {
      classes.put(c, classStats(all.stream().filter(o -> o.kind() == c).toList()));
    }
    return new MixSummary(classes, decode(all, r.unloaded()), goodput(r), counts(all), predictions(all));
  }

  static ClassStats classStats(List<MixOutcome> os) {
    double[] ttft = sorted(os, o -> o.status() == 200 && o.firstUs() >= 0, MixOutcome::ttftMs);
    return new ClassStats(os.size(), count(os, MixOutcome::ok), count(os, MixOutcome::queued), count(os, MixOutcome::rejected),
        count(os, MixOutcome::failed), count(os, MixOutcome::lost), Stats.percentileSorted(ttft, 50),
        Stats.percentileSorted(ttft, 95), Stats.percentileSorted(ttft, 99));
  }

  static DecodeStats decode(List<MixOutcome> all, Map<String, Double> unloaded) {
    Function<List<MixOverlap.Overlapped>, Rates> rates = os -> Rates.of(os.stream()
        .map(o -> new double[] {o.tokensPerS(), unloaded.getOrDefault(o.tier(), Double.NaN)}).toList());
    List<double[]> every = all.stream()
        .filter(o -> o.kind() == MixClass.INTERACTIVE && o.ok() && o.tpotMs() > 0)
        .map(o -> new double[] {1000.0 / o.tpotMs(), unloaded.getOrDefault(o.tier(), Double.NaN)}).toList();
    return new DecodeStats(rates.apply(MixOverlap.rates(all)), rates.apply(MixOverlap.ratesFleetWide(all)), Rates.of(every));
  }

  static List<TierGoodput> goodput(MixBench.ConfigResult r) {
    List<TierGoodput> out = new ArrayList<>();
    for (String tier : r.tiers()) {
      MixBench.Slo slo = r.slos().get(tier);
      List<MixOutcome> answered = r.outcomes().stream().filter(o -> o.status() == 200 && tier.equals(o.tier())).toList();
      int met = slo == null ? 0 : count(answered, o -> meets(o, slo));
      long[] g = r.gatewaySlo().get(tier);
      out.add(new TierGoodput(tier, slo, answered.size(), met, g == null ? -1 : g[0], g == null ? -1 : g[0] + g[1]));
    }
    return out;
  }

  /** Served whole, first output within the TTFT objective, and (with two tokens or more) the TPOT one. */
  static boolean meets(MixOutcome o, MixBench.Slo slo) {
    if (!o.ok() || o.firstUs() < 0) {
      return false;
    }
    double tpot = o.tpotMs();
    return o.ttftMs() <= slo.ttftMs() && (Double.isNaN(tpot) || tpot <= slo.tpotMs());
  }

  static Counts counts(List<MixOutcome> all) {
    return new Counts(all.size(), count(all, MixOutcome::ok), count(all, MixOutcome::queued), count(all, o -> o.status() == 429),
        count(all, o -> o.status() == 503), count(all, MixOutcome::failed), count(all, MixOutcome::lost));
  }

  static Map<String, Prediction> predictions(List<MixOutcome> all) {
    Map<String, List<Double>> errors = new LinkedHashMap<>();
    for (MixOutcome o : all) {
      if (o.tier() != null && !Double.isNaN(o.predictedTtftMs()) && !Double.isNaN(o.ttftMs())) {
        errors.computeIfAbsent(o.tier(), t -> new ArrayList<>()).add(o.ttftMs() - o.predictedTtftMs());
      }
    }
    Map<String, Prediction> out = new LinkedHashMap<>();
    errors.forEach((tier, e) -> {
      double[] signed = e.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double[] abs = e.stream().mapToDouble(Math::abs).sorted().toArray();
      out.put(tier, new Prediction(signed.length, Stats.percentileSorted(signed, 50), Stats.percentileSorted(abs, 95)));
    });
    return out;
  }

  private static int count(List<MixOutcome> os, Predicate<MixOutcome> p) {
    return (int) os.stream().filter(p).count();
  }

  private static double[] sorted(List<MixOutcome> os, Predicate<MixOutcome> p, java.util.function.ToDoubleFunction<MixOutcome> f) {
    double[] v = os.stream().filter(p).mapToDouble(f).filter(d -> !Double.isNaN(d)).toArray();
    Arrays.sort(v);
    return v;
  }
}
