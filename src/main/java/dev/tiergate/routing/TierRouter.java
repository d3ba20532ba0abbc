package dev.tiergate.routing;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.GroupConfig;
import dev.tiergate.config.RoutingConfig;
import dev.tiergate.config.RuleConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.config.TierPolicy;
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
  private final RoutingConfig.Mode mode;
  private final RoutingConfig.Predicted predicted;
  private final List<String> preferred;
  private final Map<String, List<String>> preferredByRule = new LinkedHashMap<>();

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
    this.mode = config.routing().mode();
    this.predicted = config.routing().predicted();
    this.preferred = preference(null);
    for (RuleConfig r : rules) {
      preferredByRule.put(r.name(), preference(r.tier()));
    }
  }

  /**
   * The order predicted routing prefers tiers in, all else within the margin: a matching rule's
   * tier, then {@code routing.predicted.prefer}, then the default tier, then the rest as configured.
   */
  private List<String> preference(String ruleTier) {
    List<String> p = new ArrayList<>();
    if (ruleTier != null) {
      p.add(ruleTier);
    }
    predicted.prefer().stream().filter(t -> !p.contains(t)).forEach(p::add);
    if (!p.contains(defaultTier)) {
      p.add(defaultTier);
    }
    tiers.keySet().stream().filter(t -> !p.contains(t)).forEach(p::add);
    return List.copyOf(p);
  }

  /** The output a request must leave room for: its max_tokens, else the configured reserve. */
  int outputTokens(RouteInput in) {
    return in.maxTokens() > 0 ? in.maxTokens() : outputReserve;
  }

  /**
   * The window a request needs: prompt plus output for generation; the input alone for embeddings and
   * rerank; nothing for the token counters, which must answer however long the prompt is.
   */
  long need(RouteInput in) {
    Api api = Api.byId(in.endpoint());
    if (api == null || api.generates()) {
      return (long) in.promptTokens() + outputTokens(in);
    }
    return api == Api.EMBEDDINGS || api == Api.RERANK ? in.promptTokens() : 0;
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
    } else if (mode == RoutingConfig.Mode.ROUND_ROBIN) {
      return roundRobin(in, fleet);
    } else if (mode == RoutingConfig.Mode.PREDICTED) {
      return predicted(in, fleet);
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
    return collect(in, fleet, tier, reason, order, null);
  }

  /** Every live tier that can hold the request, in turn (a baseline that ignores rules and load). */
  private RouteDecision roundRobin(RouteInput in, FleetView fleet) {
    List<String> live = new ArrayList<>();
    for (String t : tiers.keySet()) {
      if (fleet.live(t) && in.allows(t)) {
        live.add(t);
      }
    }
    List<String> order = new ArrayList<>(live.size());
    int shift = live.isEmpty() ? 0 : Math.floorMod(in.tieBreak(), live.size());
    for (int i = 0; i < live.size(); i++) {
      order.add(live.get((i + shift) % live.size()));
    }
    String first = order.isEmpty() ? defaultTier : order.get(0);
    return collect(in, fleet, first, "roundRobin", order.isEmpty() ? List.of(defaultTier) : order, null);
  }

  /**
   * Predicted routing: every live tier that can hold the request is a candidate; each backend's TTFT
   * is predicted from its load and learned rates. The first tier in the preference order (a
   * matching rule's tier, then {@code routing.predicted.prefer}, then the default tier) wins while
   * its prediction is within the margin of the best; with a client TTFT objective, the first tier
   * predicted to meet it wins. A backend whose admission control would hold this prompt back is
   * predicted last.
   */
  private RouteDecision predicted(RouteInput in, FleetView fleet) {
    RuleConfig rule = firstMatch(in);
    List<String> preference = rule == null ? preferred : preferredByRule.get(rule.name());
    RankedBackends[] ranked = new RankedBackends[preference.size()];
    double[] best = new double[preference.size()];
    double bestOverall = Double.POSITIVE_INFINITY;
    long need = need(in);
    for (int i = 0; i < best.length; i++) {
      String t = preference.get(i);
      best[i] = Double.POSITIVE_INFINITY;
      if (!fleet.live(t) || !in.allows(t)) {
        continue;
      }
      List<BackendConfig> backends = tiers.get(t).backends();
      ranked[i] = new RankedBackends(backends.size());
      for (BackendConfig b : backends) {
        OptionalInt w = fleet.contextWindow(b.name());
        if (fleet.routable(b.name()) && fleet.serves(b.name(), in.endpoint()) && (w.isEmpty() || need <= w.getAsInt())) {
          rank(in, fleet, t, b, ranked[i]);
        }
      }
      best[i] = ranked[i].best();
      bestOverall = Math.min(bestOverall, best[i]);
    }
    int chosen = -1;
    double quickest = bestOverall % CLASS;
    for (int i = 0; i < best.length && chosen < 0; i++) {
      // Only the best rank class competes: a backend that would hold this prompt back never wins on the margin.
      double ms = best[i] % CLASS;
      boolean ok = best[i] - ms == bestOverall - quickest && (in.maxTtftMs() > 0 ? ms <= in.maxTtftMs()
          : ms <= quickest * predicted.marginRatio() + predicted.marginMs());
      if (best[i] < Double.POSITIVE_INFINITY && ok) {
        chosen = i;
      }
    }
    String reason = "predicted";
    if (chosen < 0) {
      for (int i = 0; i < best.length && chosen < 0; i++) {
        if (best[i] == bestOverall) {
          chosen = i;
        }
      }
      reason = in.maxTtftMs() > 0 ? "predicted:slo-missed" : "predicted";
    }
    if (chosen < 0) {
      return collect(in, fleet, defaultTier, reason, preference, ranked);
    }
    // The chosen tier, then the others from quickest to slowest (those that cannot serve last, in preference order).
    List<String> order = new ArrayList<>(best.length);
    RankedBackends[] rankedInOrder = new RankedBackends[best.length];
    order.add(preference.get(chosen));
    rankedInOrder[0] = ranked[chosen];
    boolean[] taken = new boolean[best.length];
    taken[chosen] = true;
    for (int n = 1; n < best.length; n++) {
      int next = -1;
      for (int i = 0; i < best.length; i++) {
        if (!taken[i] && (next < 0 || best[i] < best[next])) {
          next = i;
        }
      }
      taken[next] = true;
      order.add(preference.get(next));
      rankedInOrder[n] = ranked[next];
    }
    return collect(in, fleet, order.get(0), reason, order, rankedInOrder);
  }

  /** Predicts the request's TTFT on one backend and files the backend by its rank key. */
  private void rank(RouteInput in, FleetView fleet, String tier, BackendConfig b, RankedBackends into) {
    BackendLoad load = fleet.load(b.name());
    BackendRates rates = fleet.rates(b.name());
    double ms = Predictor.ttftMs(rates, load, in.promptTokens());
    into.add(b, ms, rankKey(in, tier, load, rates, ms));
  }

  /** The predicted TTFT of the request on one backend (NaN without rates). */
  private static double predict(RouteInput in, FleetView fleet, BackendConfig b) {
    return Predictor.ttftMs(fleet.rates(b.name()), fleet.load(b.name()), in.promptTokens());
  }

  /**
   * The order of backends: by the predicted time to what the request is ranked by (its first token when the client
   * set a TTFT objective or {@code rankBy: ttft}; else the whole answer), and last when admission would hold the
   * prompt back there.
   */
  private double rankKey(RouteInput in, String tier, BackendLoad load, BackendRates rates, double ttft) {
    double ms = ttft;
    if (in.maxTtftMs() <= 0 && predicted.rankBy() == RoutingConfig.RankBy.COMPLETION && !Double.isNaN(ttft)) {
      ms = Predictor.completionMs(ttft, rates, load, outputTokens(in));
    }
    double rankClass = gated(tier, in.promptTokens(), load) ? 1 : 0;
    return rankClass * CLASS + Math.min(Double.isNaN(ms) ? 0 : ms, CLASS - 1);
  }

  /**
   * Backends rank in classes, each after the one before whatever the predictions: those that can start the request
   * now, then those where admission would hold this prompt back. Key = class × CLASS + predicted ms.
   */
  private static final double CLASS = 1e12;

  /** Whether the tier's admission control would hold this prompt back from the backend now. */
  public boolean gated(String tier, long promptTokens, BackendLoad load) {
    return holdsBack(tier, promptTokens) && load.interactive() > 0;
  }

  /** Whether the tier's admission control holds a prompt this long back from interactive streams. */
  public boolean holdsBack(String tier, long promptTokens) {
    TierPolicy.Admission a = tiers.get(tier).admission();
    return a != null && a.protectDecodes() && promptTokens >= a.longPromptTokens();
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
        return collect(in, fleet, tier, reason, order, null);
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

  /** Whether any backend of the tier could serve and hold the request (an unknown window might). */
  private boolean fits(String tier, RouteInput in, FleetView fleet) {
    long need = need(in);
    for (BackendConfig b : tiers.get(tier).backends()) {
      if (!fleet.serves(b.name(), in.endpoint())) {
        continue; // a swap would not help a request the tier cannot serve at all
      }
      OptionalInt w = fleet.contextWindow(b.name());
      if (w.isEmpty() || need <= w.getAsInt()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The candidates from the tiers in {@code order}, and why the others were passed over. {@code ranked}, aligned with
   * {@code order} (null outside predicted routing), holds the backends predicted routing already found able to take
   * the request: a tier with any is listed from them without asking the fleet again.
   */
  private RouteDecision collect(RouteInput in, FleetView fleet, String tier, String reason, List<String> order,
      RankedBackends[] ranked) {
    long need = need(in);
    List<Candidate> candidates = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    String fallbackReason = null;
    int largestWindow = 0;
    boolean unavailableMightFit = false;
    boolean anyAllowed = false;
    for (int o = 0; o < order.size(); o++) {
      String name = order.get(o);
      if (!in.allows(name)) {
        // The key may not use it: not a candidate, and the reason says so when the policy had chosen it.
        skipped.add(name + ":forbidden");
        fallbackReason = name.equals(tier) ? "fallback:" + tier + "-forbidden" : fallbackReason;
        continue;
      }
      anyAllowed = true;
      if (ranked != null && ranked[o] != null && !ranked[o].isEmpty()) {
        ranked[o].addTo(candidates, name, candidateReason(name, tier, reason, fallbackReason));
        continue;
      }
      List<BackendConfig> backends = tiers.get(name).backends();
      List<BackendConfig> up = new ArrayList<>(backends.size());
      boolean fits = false;
      boolean busy = false;
      boolean knownFit = false;
      boolean serves = false;
      for (BackendConfig b : backends) {
        if (!fleet.serves(b.name(), in.endpoint())) {
          continue;
        }
        serves = true;
        OptionalInt w = fleet.contextWindow(b.name());
        largestWindow = Math.max(largestWindow, w.orElse(0));
        if (w.isEmpty() || need <= w.getAsInt()) {
          fits = true;
          knownFit |= w.isPresent();
          if (fleet.routable(b.name())) {
            up.add(b);
          } else {
            busy |= fleet.busy(b.name());
          }
        }
      }
      String why = !fits ? "context" : !fleet.live(name) ? "swapped-out" : up.isEmpty() ? (busy ? "busy" : "down") : null;
      if (!serves) {
        why = "unsupported";
      }
      if (why != null) {
        skipped.add(name + ":" + why);
        unavailableMightFit |= !why.equals("context") && knownFit;
        if (name.equals(tier)) {
          fallbackReason = "fallback:" + tier + "-" + why;
        }
        continue;
      }
      String r = candidateReason(name, tier, reason, fallbackReason);
      if (mode == RoutingConfig.Mode.PREDICTED) {
        // A tier that could take nothing when the tiers were ranked, and can now.
        RankedBackends late = new RankedBackends(up.size());
        for (BackendConfig b : up) {
          rank(in, fleet, name, b, late);
        }
        late.addTo(candidates, name, r);
      } else {
        // Predicted in every mode: the prediction-error histogram tells a user how far to trust
        // predicted routing on their hardware before they switch it on.
        for (BackendConfig b : leastLoaded(up, fleet, in.tieBreak())) {
          candidates.add(new Candidate(name, b, r, predict(in, fleet, b)));
        }
      }
    }
    if (!anyAllowed) {
      throw forbidden(in, tier);
    }
    if (candidates.isEmpty() && skipped.stream().allMatch(sk -> sk.endsWith(":unsupported") || sk.endsWith(":forbidden"))) {
      throw unsupported(in.endpoint(), order);
    }
    if (candidates.isEmpty()) {
      throw noCandidate(in, tier, need, largestWindow, unavailableMightFit, skipped);
    }
    return new RouteDecision(tier, reason, List.copyOf(candidates), List.copyOf(skipped));
  }

  /** Why a tier's backends are candidates: the policy's reason for its own tier, else why it fell back. */
  private static String candidateReason(String name, String tier, String reason, String fallbackReason) {
    return name.equals(tier) ? reason : fallbackReason != null ? fallbackReason : "fallback:" + tier + "-failed";
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

  /** 404 naming the endpoint and the tiers that were considered. */
  private static GatewayError unsupported(String endpoint, List<String> tiers) {
    Api api = Api.byId(endpoint);
    String what = api == null ? endpoint : api.path();
    return GatewayError.of(Kind.UNSUPPORTED_ENDPOINT, "No tier that may serve this request serves " + what + " (tiers: "
        + String.join(", ", tiers) + "). A backend that does declares it with serves: [" + endpoint + "].");
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
