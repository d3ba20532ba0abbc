package dev.tiergate.routing;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.GroupConfig;
import dev.tiergate.config.RuleConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The routing policy as a pure function: request facts + fleet snapshot → ordered candidates.
 * Order of precedence: client hint, then the first matching rule, then the default tier; then the
 * wanted tier's fallbacks (unless the hint is strict), skipping tiers that are down or too small.
 */
public final class TierRouter {
  private final Map<String, TierConfig> tiers = new LinkedHashMap<>();
  private final Map<String, List<String>> fallbacks = new LinkedHashMap<>();
  private final List<RuleConfig> rules;
  private final String defaultTier;
  private final int outputReserve;
  private final Map<String, GroupConfig> groupOf = new LinkedHashMap<>();

  public TierRouter(GatewayConfig config) {
    for (TierConfig t : config.tiers()) {
      tiers.put(t.name(), t);
    }
    for (TierConfig t : config.tiers()) {
      fallbacks.put(t.name(), t.fallback() != null ? t.fallback() : others(t.name()));
    }
    this.rules = config.routing().rules();
    this.defaultTier = config.routing().defaultTier();
    this.outputReserve = config.routing().outputReserveTokens();
    for (GroupConfig g : config.groups()) {
      g.tiers().forEach(t -> groupOf.put(t, g));
    }
  }

  /** The output a request must leave room for: its max_tokens, else the configured reserve. */
  int outputTokens(RouteInput in) {
    return in.maxTokens() > 0 ? in.maxTokens() : outputReserve;
  }

  public boolean hasTier(String name) {
    return tiers.containsKey(name);
  }

  public List<String> tierNames() {
    return List.copyOf(tiers.keySet());
  }

  public RouteDecision decide(RouteInput in, FleetView fleet) {
    String tier;
    String reason;
    if (in.tierHint() != null) {
      if (!tiers.containsKey(in.tierHint())) {
        throw GatewayError.of(
            Kind.UNKNOWN_TIER,
            "unknown tier '" + in.tierHint() + "'; allowed values: " + String.join(", ", tierNames()) + ", auto",
            "x-tiergate-tier");
      }
      tier = in.tierHint();
      reason = "hint:" + in.hintSource();
      if (!in.allows(tier)) {
        throw forbidden(in, tier);
      }
    } else {
      RuleConfig rule = firstMatch(in);
      tier = rule != null ? rule.tier() : defaultTier;
      reason = rule != null ? "rule:" + rule.name() : "default";
    }
    GroupConfig group = groupOf.get(tier);
    if (group != null && in.allows(tier) && !fleet.live(tier) && fits(tier, in, fleet)) {
      return notLive(in, fleet, tier, reason, group);
    }
    List<String> order = new ArrayList<>();
    order.add(tier);
    if (!in.strict()) {
      order.addAll(fallbacks.get(tier));
    }
    return collect(in, fleet, tier, reason, order);
  }

  /**
   * The wanted tier shares its GPUs with the live one. A non-strict request under {@code serveLive}
   * is answered now by the live tier (then the other fallbacks); otherwise, or when nothing else
   * can serve, it waits for a swap — unless the group swaps only by an operator.
   */
  private RouteDecision notLive(RouteInput in, FleetView fleet, String tier, String reason, GroupConfig group) {
    List<String> fb = fallbacks.get(tier);
    if (!in.strict() && group.whenNotLive() == GroupConfig.WhenNotLive.SERVE_LIVE && !fb.isEmpty()) {
      List<String> order = new ArrayList<>();
      order.add(tier);
      group.tiers().stream().filter(fleet::live).filter(t -> !t.equals(tier)).findFirst().ifPresent(order::add);
      fb.stream().filter(t -> !order.contains(t)).forEach(order::add);
      try {
        return collect(in, fleet, tier, reason, order);
      } catch (GatewayError e) {
        if (e.kind() != Kind.NO_BACKEND_AVAILABLE) {
          throw e;
        }
      }
    }
    if (group.swap() == GroupConfig.Swap.MANUAL) {
      throw GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "tier '" + tier + "' is not live, and group '" + group.name()
          + "' swaps only when an operator asks (POST /tiergate/tiers/" + tier + "/activate)");
    }
    return new RouteDecision(tier, reason, List.of(), List.of(tier + ":swapped-out"), tier);
  }

  /** Whether any backend of the tier could hold the request (an unknown window might). */
  private boolean fits(String tier, RouteInput in, FleetView fleet) {
    long need = (long) in.promptTokens() + outputTokens(in);
    for (BackendConfig b : tiers.get(tier).backends()) {
      OptionalInt w = fleet.contextWindow(b.name());
      if (w.isEmpty() || need <= w.getAsInt()) {
        return true;
      }
    }
    return false;
  }

  private RouteDecision collect(RouteInput in, FleetView fleet, String tier, String reason, List<String> order) {
    long need = (long) in.promptTokens() + outputTokens(in);
    List<Candidate> candidates = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    String fallbackReason = null;
    int largestWindow = 0;
    boolean unavailableMightFit = false;
    boolean anyAllowed = false;
    for (String name : order) {
      if (!in.allows(name)) {
        // The key may not use it: not a candidate, and the reason says so when the policy had chosen it.
        skipped.add(name + ":forbidden");
        fallbackReason = name.equals(tier) ? "fallback:" + tier + "-forbidden" : fallbackReason;
        continue;
      }
      anyAllowed = true;
      List<BackendConfig> fits = new ArrayList<>();
      boolean knownFit = false;
      for (BackendConfig b : tiers.get(name).backends()) {
        OptionalInt w = fleet.contextWindow(b.name());
        largestWindow = Math.max(largestWindow, w.orElse(0));
        if (w.isEmpty() || need <= w.getAsInt()) {
          fits.add(b);
          knownFit |= w.isPresent();
        }
      }
      List<BackendConfig> up = new ArrayList<>();
      for (BackendConfig b : fits) {
        if (fleet.routable(b.name())) {
          up.add(b);
        }
      }
      String why = fits.isEmpty() ? "context" : !fleet.live(name) ? "swapped-out"
          : up.isEmpty() ? (fits.stream().anyMatch(b -> fleet.busy(b.name())) ? "busy" : "down") : null;
      if (why != null) {
        skipped.add(name + ":" + why);
        unavailableMightFit |= !why.equals("context") && knownFit;
        if (name.equals(tier)) {
          fallbackReason = "fallback:" + tier + "-" + why;
        }
        continue;
      }
      String r = name.equals(tier) ? reason : fallbackReason != null ? fallbackReason : "fallback:" + tier + "-failed";
      for (BackendConfig b : leastLoaded(up, fleet, in.tieBreak())) {
        candidates.add(new Candidate(name, b, r));
      }
    }
    if (!anyAllowed) {
      throw forbidden(in, tier);
    }
    if (candidates.isEmpty()) {
      throw noCandidate(in, tier, need, largestWindow, unavailableMightFit, skipped);
    }
    return new RouteDecision(tier, reason, List.copyOf(candidates), List.copyOf(skipped));
  }

  /**
   * Nothing can serve now. It is the request's size (400) when every window we know is too small
   * and no unavailable tier is known to hold it; an unavailable tier whose window was never learned
   * cannot promise to, and a client told 503 would retry a prompt that can never fit.
   */
  private GatewayError noCandidate(
      RouteInput in, String tier, long need, int largestWindow, boolean unavailableMightFit, List<String> skipped) {
    if (!unavailableMightFit && largestWindow > 0) {
      return GatewayError.of(
          Kind.CONTEXT_LENGTH_EXCEEDED,
          "This request needs about " + need + " tokens (prompt ≈" + in.promptTokens() + " + "
              + (in.maxTokens() > 0 ? "max_tokens " : "reserved output ") + outputTokens(in)
              + "), more than the largest context window that may serve it (" + largestWindow
              + " tokens). Shorten the conversation or lower max_tokens.",
          "messages");
    }
    String scope = in.strict() ? "tier '" + tier + "' (strict)" : "tier '" + tier + "' or its fallbacks";
    return GatewayError.of(
        Kind.NO_BACKEND_AVAILABLE, "no backend of " + scope + " can serve this request now " + skipped);
  }

  /** 403 naming the key's tiers: asked for explicitly, or none of them is among the policy's choice and its fallbacks. */
  private static GatewayError forbidden(RouteInput in, String tier) {
    String allowed = String.join(", ", new java.util.TreeSet<>(in.allowedTiers()));
    return GatewayError.of(Kind.FORBIDDEN_TIER, in.tierHint() != null
        ? "This key may not use tier '" + tier + "'; its tiers: " + allowed + "."
        : "This key's tiers (" + allowed + ") are not among tier '" + tier + "' and its fallbacks, which serve this request.",
        in.tierHint() == null ? null : "header".equals(in.hintSource()) ? "x-tiergate-tier" : "model");
  }

  /** Fewest in-flight first; among equals, rotate so idle replicas share the load. */
  private static List<BackendConfig> leastLoaded(List<BackendConfig> up, FleetView fleet, int tieBreak) {
    if (up.size() == 1) {
      return up;
    }
    int n = up.size();
    int shift = Math.floorMod(tieBreak, n);
    List<BackendConfig> rotated = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      rotated.add(up.get((i + shift) % n));
    }
    rotated.sort((a, b) -> Integer.compare(fleet.inflight(a.name()), fleet.inflight(b.name())));
    return rotated;
  }

  private RuleConfig firstMatch(RouteInput in) {
    for (RuleConfig r : rules) {
      if (matches(r.when(), in)) {
        return r;
      }
    }
    return null;
  }

  boolean matches(RuleConfig.RuleCondition c, RouteInput in) {
    return (c.promptTokensAtLeast() == null || in.promptTokens() >= c.promptTokensAtLeast())
        && (c.promptTokensBelow() == null || in.promptTokens() < c.promptTokensBelow())
        && (c.maxTokensAtLeast() == null || outputTokens(in) >= c.maxTokensAtLeast())
        && (c.stream() == null || c.stream() == in.stream())
        && (c.endpoint() == null || c.endpoint().equals(in.endpoint()))
        && (c.hasTools() == null || c.hasTools() == in.hasTools());
  }

  private List<String> others(String name) {
    List<String> out = new ArrayList<>();
    for (String t : tiers.keySet()) {
      if (!t.equals(name)) {
        out.add(t);
      }
    }
    return out;
  }
}
