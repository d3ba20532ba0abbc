package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The profile {@code bench tiers} suggests recovers the rates a tier was measured to have. */
class ProfileFitTest {
  static Stats.Summary s(double v) {
    return new Stats.Summary(v, v, v, 3);
  }

  static TierBench.TierResult result(Map<String, Integer> depths, Map<String, Double> values) {
    Map<String, Stats.Summary> axes = new LinkedHashMap<>();
    values.forEach((k, v) -> axes.put(k, s(v)));
    return new TierBench.TierResult("fast", axes, depths, java.util.List.of());
  }

  @Test
  void prefillRateAndItsHalfRateLengthComeBackFromTwoDepths() {
    // A tier with P = 3000 tok/s and H = 60000 tokens: 2500 tok/s at 12k, 1500 at 60k.
    Map<String, Integer> depths = Map.of("prefill@12K t/s", 12_000, "prefill@60K t/s", 60_000);
    Map<String, Double> values = new LinkedHashMap<>();
    values.put(TierBench.TTFT, 180.4);
    values.put(TierBench.PROSE, 47.26);
    values.put("prefill@12K t/s", 3000 / (1 + 12_000 / 60_000.0));
    values.put("prefill@60K t/s", 3000 / (1 + 60_000 / 60_000.0));
    JsonObject p = ProfileFit.profile(result(depths, values));
    assertEquals(3000L, p.getLong("prefillTps"));
    assertEquals(60_000L, p.getLong("prefillHalfRateTokens"));
    assertEquals(47.3, p.getDouble("decodeTps"), 1e-9);
    assertEquals(180L, p.getLong("ttftBaseMs"));
    assertEquals("profile: { prefillTps: 3000, prefillHalfRateTokens: 60000, decodeTps: 47.3, ttftBaseMs: 180 }",
        ProfileFit.yaml(p));
  }

  @Test
  void aRateThatDoesNotFallWithLengthIsOneFlatRate() {
    Map<String, Integer> depths = Map.of("prefill@12K t/s", 12_000, "prefill@60K t/s", 60_000);
    Map<String, Double> values = Map.of("prefill@12K t/s", 2000.0, "prefill@60K t/s", 2100.0);
    JsonObject p = ProfileFit.profile(result(depths, values));
    assertNull(p.getValue("prefillHalfRateTokens"));
    assertEquals(Math.round(1 / ((1 / 2000.0 + 1 / 2100.0) / 2)), p.getLong("prefillTps"));
  }

  @Test
  void aTierThatMeasuredNothingSuggestsNothing() {
    assertNull(ProfileFit.profile(result(Map.of(), Map.of(TierBench.PROSE, Double.NaN))));
  }
}
