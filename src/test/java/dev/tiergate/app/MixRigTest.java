package dev.tiergate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tiergate.bench.MixPlan;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.RoutingConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.config.TierPolicy;
import dev.tiergate.sim.Profiles;
import dev.tiergate.sim.SimOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The three configurations {@code bench mix} ships: what each one is for, and the same objectives in all. */
class MixRigTest {
  @Test
  void roundRobinRuleAndPredictedDifferOnlyInHowTheyRoute() {
    GatewayConfig rr = MixRig.load("rr");
    GatewayConfig rule = MixRig.load("rule");
    GatewayConfig predicted = MixRig.load("predicted");
    assertEquals(RoutingConfig.Mode.ROUND_ROBIN, rr.routing().mode());
    assertEquals(RoutingConfig.Mode.RULES, rule.routing().mode());
    assertEquals(8192, rule.routing().rules().get(0).when().promptTokensAtLeast());
    assertEquals("prefill", rule.routing().rules().get(0).tier());
    assertEquals(RoutingConfig.Mode.PREDICTED, predicted.routing().mode());
    assertEquals(List.of("fast", "max", "prefill"), predicted.routing().predicted().prefer());
    for (GatewayConfig c : List.of(rr, rule, predicted)) {
      assertEquals(List.of("fast", "max", "prefill"), c.tiers().stream().map(TierConfig::name).toList());
      assertEquals(MixRig.slos(rule), MixRig.slos(c), "the same objectives everywhere, so goodput compares");
      assertEquals(3, MixRig.slos(c).size());
      for (TierConfig t : c.tiers()) {
        if (c == predicted) {
          assertNotNull(t.admission(), t.name());
          assertEquals(16_384, t.admission().longPromptTokens());
        } else {
          assertNull(t.admission(), t.name());
        }
      }
    }
    assertEquals(MixPlan.CONFIGS, List.of("rr", "rule", "predicted"));
  }

  @Test
  void predictedCompletionIsPredictedRankedByTheWholeAnswer() {
    GatewayConfig predicted = MixRig.load("predicted");
    GatewayConfig completion = MixRig.load("predicted-completion");
    assertEquals(RoutingConfig.RankBy.TTFT, predicted.routing().predicted().rankBy());
    assertEquals(RoutingConfig.RankBy.COMPLETION, completion.routing().predicted().rankBy());
    assertEquals(predicted.routing().predicted().prefer(), completion.routing().predicted().prefer());
    for (int i = 0; i < predicted.tiers().size(); i++) {
      TierConfig a = predicted.tiers().get(i);
      TierConfig b = completion.tiers().get(i);
      assertEquals(a.name(), b.name());
      assertEquals(a.admission(), b.admission(), a.name());
      assertEquals(a.profile(), b.profile(), a.name());
      assertEquals(a.slo(), b.slo(), a.name());
    }
  }

  @Test
  void everyConfigurationStartsFromTheSimulatorsCalibration() {
    for (String name : MixPlan.CONFIGS) {
      for (TierConfig t : MixRig.load(name).tiers()) {
        SimOptions sim = Profiles.apply(t.name(), SimOptions.defaults("vllm"));
        TierPolicy.Profile p = t.profile();
        assertNotNull(p, name + "/" + t.name());
        String at = name + "/" + t.name();
        assertEquals(sim.prefillTps(), p.prefillTps(), 1.0, at);
        assertEquals(sim.prefillHalfRateTokens(), p.prefillHalfRateTokens(), at);
        assertEquals(sim.decodeTps(), p.decodeTps(), 1.0, at);
        assertEquals(sim.ttftBaseMs(), p.ttftBaseMs(), 1.0, at);
      }
    }
  }

  @Test
  void eachStartGetsItsOwnFreePorts() {
    GatewayConfig a = MixRig.load("rule");
    GatewayConfig b = MixRig.load("rule");
    assertNotEquals(a.server().port(), b.server().port());
    assertNotEquals(a.tiers().get(0).backends().get(0).url(), a.tiers().get(1).backends().get(0).url());
  }
}
