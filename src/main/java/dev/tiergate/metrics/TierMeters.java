package dev.tiergate.metrics;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.config.TierPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Per-tier meters of load-aware scheduling: how far the TTFT predictor was off
 * ({@code tiergate_ttft_prediction_error_seconds{tier,direction}}, over = slower than predicted),
 * goodput against the tier's objectives ({@code tiergate_slo_requests_total{tier,met}}), and the
 * admission queues ({@code tiergate_queue_wait_seconds{tier,priority}},
 * {@code tiergate_queue_length{backend}}). Series exist only for configured tiers and backends.
 */
final class TierMeters {
  private final Map<String, Timer[]> errors = new HashMap<>();
  private final Map<String, Counter[]> slo = new HashMap<>();
  private final Map<String, Timer[]> waits = new HashMap<>();
  private final Map<String, TierPolicy.Slo> objectives = new HashMap<>();
  private final MeterRegistry registry;

  TierMeters(MeterRegistry registry, GatewayConfig config) {
    this.registry = registry;
    for (TierConfig t : config.tiers()) {
      String n = t.name();
      errors.put(n, new Timer[] {timer("tiergate_ttft_prediction_error", "How far observed TTFT was from the prediction",
          n, "direction", "over"), timer("tiergate_ttft_prediction_error", "How far observed TTFT was from the prediction", n,
          "direction", "under")});
      waits.put(n, new Timer[] {timer("tiergate_queue_wait", "Time requests waited for admission to a backend", n,
          "priority", "interactive"), timer("tiergate_queue_wait", "Time requests waited for admission to a backend", n,
          "priority", "batch")});
      if (t.slo() != null) {
        objectives.put(n, t.slo());
        slo.put(n, new Counter[] {slo(n, "true"), slo(n, "false")});
      }
    }
  }

  private Timer timer(String name, String help, String tier, String key, String value) {
    return Timer.builder(name).description(help).tags("tier", tier, key, value).serviceLevelObjectives(Buckets.FIRST_TOKEN)
        .publishPercentileHistogram(false).register(registry);
  }

  private Counter slo(String tier, String met) {
    return Counter.builder("tiergate_slo_requests").description("Finished requests by whether they met the tier's TTFT and TPOT objectives")
        .tags("tier", tier, "met", met).register(registry);
  }

  void record(Sample s) {
    if (!s.generative()) {
      return;
    }
    if (!Double.isNaN(s.predictedTtftMs()) && s.ttftNanos() > 0) {
      Timer[] e = errors.get(s.tier());
      if (e != null) {
        double diff = s.ttftNanos() / 1e6 - s.predictedTtftMs();
        e[diff >= 0 ? 0 : 1].record(Math.round(Math.abs(diff) * 1e6), TimeUnit.NANOSECONDS);
      }
    }
    TierPolicy.Slo o = objectives.get(s.tier());
    if (o != null && s.outcome() != Outcome.CANCELLED) {
      boolean met = s.outcome() == Outcome.OK && (s.ttftNanos() >= 0 ? streamMet(o, s) : wholeMet(o, s));
      slo.get(s.tier())[met ? 0 : 1].increment();
    }
  }

  private static boolean streamMet(TierPolicy.Slo o, Sample s) {
    boolean ttftOk = o.ttftMs() == null || s.ttftNanos() <= o.ttftMs() * 1_000_000L;
    double tpot = s.tpotMs();
    return ttftOk && (o.tpotMs() == null || Double.isNaN(tpot) || tpot <= o.tpotMs());
  }

  /**
   * A whole (non-streamed) answer has no first token of its own: it meets the objectives when it
   * arrived within the time a stream meeting them would have taken to finish.
   */
  private static boolean wholeMet(TierPolicy.Slo o, Sample s) {
    if (o.ttftMs() == null) {
      return true; // only a time per token to judge, and a whole answer shows none
    }
    double budgetMs = o.ttftMs() + (o.tpotMs() == null ? 0 : o.tpotMs() * Math.max(0, s.completionTokens() - 1));
    return s.durationNanos() <= budgetMs * 1e6;
  }

  void waited(String tier, boolean batch, long nanos) {
    Timer[] w = waits.get(tier);
    if (w != null) {
      w[batch ? 1 : 0].record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  void queueLengths(Iterable<String> backends, ToIntFunction<String> length) {
    for (String b : backends) {
      if (registry.find("tiergate_queue_length").tags("backend", b).gauge() != null) {
        continue; // a kept backend, registered again by a reload
      }
      Gauge.builder("tiergate_queue_length", () -> length.applyAsInt(b)).description("Requests waiting for admission to the backend")
          .tags("backend", b).strongReference(true).register(registry);
    }
  }
}
