package dev.tiergate.metrics;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.GroupConfig;
import dev.tiergate.config.RoutingConfig;
import dev.tiergate.config.RuleConfig;
import dev.tiergate.config.TierConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code tiergate_route_decisions_total{tier,reason}} and {@code tiergate_fallbacks_total{from_tier,to_tier}}.
 * Values are checked against what the configuration can produce (a tier outside it becomes
 * {@code none}, a reason {@code other}), and every series routing can produce is registered at zero
 * up front, so the first occurrence is already an increase that {@code rate()} can see.
 */
final class RoutingCounters {
  private final MeterRegistry registry;
  private final Set<String> tiers = new HashSet<>();
  private final Set<String> reasons = new HashSet<>();
  private final Map<String, Map<String, Counter>> decisions = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Counter>> fallbacks = new ConcurrentHashMap<>();

  RoutingCounters(MeterRegistry registry, GatewayConfig config) {
    this.registry = registry;
    for (TierConfig t : config.tiers()) {
      tiers.add(t.name());
    }
    reasons.add("default");
    reasons.add("predicted");
    reasons.add("predicted:slo-missed");
    reasons.add("roundRobin");
    reasons.add("hint:header");
    reasons.add("hint:model");
    for (String t : tiers) {
      for (String why : List.of("down", "busy", "context", "failed", "held", "swapped-out", "unsupported")) {
        reasons.add("fallback:" + t + "-" + why);
      }
    }
    for (GroupConfig g : config.groups()) {
      for (String to : g.tiers()) {
        reasons.add("swap:none->" + to);
        g.tiers().stream().filter(from -> !from.equals(to)).forEach(from -> reasons.add("swap:" + from + "->" + to));
      }
    }
    precreate(config);
  }

  /** Whether routing by this config can give the reason (else it is counted as {@code other}). */
  boolean produces(String reason) {
    return reasons.contains(reason) || GatewayMetrics.OTHER.equals(reason);
  }

  void decision(String tier, String reason) {
    String t = tiers.contains(tier) ? tier : GatewayMetrics.NONE;
    String r = reasons.contains(reason) ? reason : GatewayMetrics.OTHER;
    counter(decisions, t, r).increment();
  }

  void fallback(String fromTier, String toTier) {
    String from = tiers.contains(fromTier) ? fromTier : GatewayMetrics.NONE;
    String to = tiers.contains(toTier) ? toTier : GatewayMetrics.NONE;
    counter(fallbacks, from, to).increment();
  }

  private void precreate(GatewayConfig config) {
    for (String t : tiers) {
      counter(decisions, t, "hint:header");
      counter(decisions, t, "hint:model");
      for (String to : tiers) {
        if (!to.equals(t)) {
          counter(fallbacks, t, to);
        }
      }
    }
    if (config.routing() == null) {
      return;
    }
    if (tiers.contains(config.routing().defaultTier())) {
      counter(decisions, config.routing().defaultTier(), "default");
    }
    RoutingConfig.Mode mode = config.routing().mode();
    if (mode != RoutingConfig.Mode.RULES) {
      for (String t : tiers) {
        if (mode == RoutingConfig.Mode.ROUND_ROBIN) {
          counter(decisions, t, "roundRobin");
        } else {
          counter(decisions, t, "predicted");
          counter(decisions, t, "predicted:slo-missed");
        }
      }
    }
    for (RuleConfig r : config.routing().rules()) {
      reasons.add("rule:" + r.name());
      if (tiers.contains(r.tier())) {
        counter(decisions, r.tier(), "rule:" + r.name());
      }
    }
  }

  /** Two map reads on the hot path, no allocation; registration only for a pair not seen before. */
  private Counter counter(Map<String, Map<String, Counter>> table, String a, String b) {
    Map<String, Counter> row = table.get(a);
    Counter c = row == null ? null : row.get(b);
    if (c != null) {
      return c;
    }
    Counter.Builder builder = table == decisions
        ? Counter.builder("tiergate_route_decisions").description("Routing decisions by chosen tier and reason")
            .tags("tier", a, "reason", b)
        : Counter.builder("tiergate_fallbacks").description("Requests served by another tier than the one the policy chose")
            .tags("from_tier", a, "to_tier", b);
    return table.computeIfAbsent(a, k -> new ConcurrentHashMap<>()).computeIfAbsent(b, k -> builder.register(registry));
  }
}
