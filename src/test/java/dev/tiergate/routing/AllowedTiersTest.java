package dev.tiergate.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.errors.GatewayError;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A key's tiers given to the policy: never a candidate otherwise, and a 403 when asked for by name. */
class AllowedTiersTest {
  final TierRouter router = new TierRouter(TierRouterTest.CONFIG);
  final TierRouterTest.FakeFleet fleet = new TierRouterTest.FakeFleet();

  static RouteInput in(int prompt, String hint, Set<String> allowed) {
    return new RouteInput(prompt, 64, "chat", true, false, hint, hint == null ? null : "header", false, 0, -1, allowed);
  }

  static List<String> tiers(RouteDecision d) {
    return d.candidates().stream().map(Candidate::tier).distinct().toList();
  }

  @Test
  void aForbiddenTierIsNeverACandidate() {
    RouteDecision rule = router.decide(in(10_000, null, Set.of("fast", "max")), fleet);
    assertEquals(List.of("max", "fast"), tiers(rule), "the long-prompt rule's prefill is skipped, its fallbacks stay in order");
    assertEquals("fallback:prefill-forbidden", rule.candidates().get(0).reason());
    assertTrue(rule.skipped().contains("prefill:forbidden"));
    RouteDecision fallback = router.decide(in(100, null, Set.of("fast", "prefill")), fleet);
    assertEquals(List.of("fast", "prefill"), tiers(fallback), "max is fast's first fallback, but not this key's");
    assertEquals(List.of("fast", "max", "prefill"), tiers(router.decide(in(100, null, null), fleet)), "no key: every tier");
  }

  @Test
  void askingForAForbiddenTierOrHavingNoneLeftIs403() {
    GatewayError named = assertThrows(GatewayError.class, () -> router.decide(in(100, "max", Set.of("fast")), fleet));
    assertEquals(GatewayError.Kind.FORBIDDEN_TIER, named.kind());
    assertEquals("x-tiergate-tier", named.param());
    assertTrue(named.getMessage().contains("its tiers: fast"), named.getMessage());
    RouteInput strictRule = new RouteInput(10_000, 64, "chat", true, false, null, null, true, 0, -1, Set.of("fast"));
    GatewayError none = assertThrows(GatewayError.class, () -> router.decide(strictRule, fleet));
    assertEquals(GatewayError.Kind.FORBIDDEN_TIER, none.kind());
  }
}
