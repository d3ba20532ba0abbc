package dev.tiergate.metrics;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.GroupConfig;
import dev.tiergate.config.TierConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tier swaps: {@code tiergate_swaps_total{group,from_tier,to_tier,outcome}},
 * {@code tiergate_swap_duration_seconds{group,to_tier,phase}} (drain, stop, boot, total),
 * {@code tiergate_swap_queue_wait_seconds{tier}}, {@code tiergate_swap_queue_length{group}} and
 * {@code tiergate_tier_live{tier}}. Names come from the configuration only.
 */
final class SwapMeters {
  /** From a second to the ten minutes a large model may take to load. */
  private static final double[] SECONDS = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600};

  private final MeterRegistry registry;
  private final Set<String> groups = new HashSet<>();
  private final Set<String> tiers = new HashSet<>();
  private final Map<String, AtomicInteger> queue = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> live = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> waits = new ConcurrentHashMap<>();

  SwapMeters(MeterRegistry registry, GatewayConfig config) {
    this.registry = registry;
    for (GroupConfig g : config.groups()) {
      groups.add(g.name());
      precreate(g);
      AtomicInteger n = new AtomicInteger();
      queue.put(g.name(), n);
      Gauge.builder("tiergate_swap_queue_length", n, AtomicInteger::get).description("Requests waiting for a swap in the group")
          .tags("group", g.name()).register(registry);
    }
    for (TierConfig t : config.tiers()) {
      tiers.add(t.name());
      if (t.lifecycle() == null && config.groupOf(t.name()).isEmpty()) {
        continue;
      }
      AtomicInteger l = new AtomicInteger(config.groupOf(t.name()).isPresent() ? 0 : 1);
      live.put(t.name(), l);
      Gauge.builder("tiergate_tier_live", l, AtomicInteger::get).description("1 while the tier is the live one of its group")
          .tags("tier", t.name()).register(registry);
      waits.put(t.name(), DistributionSummary.builder("tiergate_swap_queue_wait_seconds").baseUnit("seconds")
          .description("How long requests waited for their tier to become live").tags("tier", t.name())
          .serviceLevelObjectives(SECONDS).register(registry));
    }
  }

  /** Every series a group's swaps can produce, at zero, so the first swap is already an increase rate() sees. */
  private void precreate(GroupConfig g) {
    List<String> froms = new ArrayList<>(g.tiers());
    froms.add(GatewayMetrics.NONE);
    for (String from : froms) {
      for (String to : froms) {
        if (!to.equals(from)) {
          for (String o : new String[] {"ok", "failed"}) {
            counter(g.name(), from, to, o);
          }
        }
      }
    }
    for (String to : froms) {
      for (String phase : new String[] {"drain", "stop", "boot", "total"}) {
        duration(g.name(), to, phase, "cold");
      }
      for (String phase : new String[] {"drain", "sleep", "wake", "canary", "total"}) {
        duration(g.name(), to, phase, "warm");
      }
    }
  }

  private Counter counter(String group, String from, String to, String outcome) {
    return Counter.builder("tiergate_swaps").description("Tier swaps by group, from, to and outcome")
        .tags("group", group, "from_tier", from, "to_tier", to, "outcome", outcome).register(registry);
  }

  void swapped(String group, String from, String to, String outcome, String mode, Map<String, Long> phaseNanos) {
    String g = groups.contains(group) ? group : GatewayMetrics.NONE;
    String f = tiers.contains(from) ? from : GatewayMetrics.NONE;
    String t = tiers.contains(to) ? to : GatewayMetrics.NONE;
    String o = "ok".equals(outcome) ? "ok" : "failed";
    counter(g, f, t, o).increment();
    String m = "warm".equals(mode) ? "warm" : "cold";
    long total = 0;
    for (Map.Entry<String, Long> p : phaseNanos.entrySet()) {
      total += p.getValue();
      duration(g, t, p.getKey(), m).record(p.getValue() / 1e9);
    }
    duration(g, t, "total", m).record(total / 1e9);
  }

  private DistributionSummary duration(String group, String to, String phase, String mode) {
    String p = Set.of("drain", "stop", "boot", "sleep", "wake", "canary", "total").contains(phase) ? phase : GatewayMetrics.OTHER;
    return DistributionSummary.builder("tiergate_swap_duration_seconds").baseUnit("seconds")
        .description("Time a swap spent in each phase, and in all, by mode (warm: woken, cold: started)")
        .tags("group", group, "to_tier", to, "phase", p, "mode", mode).serviceLevelObjectives(SECONDS).register(registry);
  }

  void warmFallback(String tier, String reason) {
    String t = tiers.contains(tier) ? tier : GatewayMetrics.NONE;
    String r = Set.of("sleep_failed", "wake_failed", "wake_timeout", "canary_mismatch").contains(reason) ? reason : GatewayMetrics.OTHER;
    Counter.builder("tiergate_warm_fallbacks").description("Warm swaps that fell back to a cold stop and start, by reason")
        .tags("tier", t, "reason", r).register(registry).increment();
  }

  void waited(String tier, long nanos) {
    DistributionSummary s = waits.get(tier);
    if (s != null) {
      s.record(nanos / 1e9);
    }
  }

  void queueLength(String group, int n) {
    AtomicInteger q = queue.get(group);
    if (q != null) {
      q.set(n);
    }
  }

  void tierLive(String tier, boolean isLive) {
    AtomicInteger l = live.get(tier);
    if (l != null) {
      l.set(isLive ? 1 : 0);
    }
  }
}
