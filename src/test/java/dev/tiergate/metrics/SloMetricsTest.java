package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goodput against each tier's objectives, and the predictor's error, measured on real requests:
 * a tier whose TTFT objective its engine cannot meet counts every request as missed.
 */
class SloMetricsTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withPrefillTps(1_000_000).withDecodeTps(500)
        .withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("easy-1", sim.withTtftBaseMs(5))
        .sim("strict-1", sim.withTtftBaseMs(300))
        .sim("plain-1", sim.withTtftBaseMs(5))
        .config("""
            routing: { defaultTier: easy }
            tiers:
              - name: easy
                slo: { ttftMs: 20000, tpotMs: 1000 }
                backends: [{ name: easy-1, url: "${SIM_EASY_1}", engine: vllm, model: m }]
              - name: strict
                slo: { ttftMs: 50 }
                backends: [{ name: strict-1, url: "${SIM_STRICT_1}", engine: vllm, model: m }]
              - name: plain
                backends: [{ name: plain-1, url: "${SIM_PLAIN_1}", engine: vllm, model: m }]
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static double slo(String tier, String met) {
    Counter c = registry().find("tiergate_slo_requests").tag("tier", tier).tag("met", met).counter();
    return c == null ? Double.NaN : c.count();
  }

  static long predictionErrors(String tier) {
    long n = 0;
    for (Timer t : registry().find("tiergate_ttft_prediction_error").tag("tier", tier).timers()) {
      n += t.count();
    }
    return n;
  }

  static MeterRegistry registry() {
    return gw.gateway().services().metrics().registry();
  }

  static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void requestsCountAsMetOrMissedAgainstTheirTiersObjectives() {
    double easyMet = slo("easy", "true");
    double strictMissed = slo("strict", "false");
    for (boolean stream : new boolean[] {true, false}) {
      assertEquals(200, gw.post("/v1/chat/completions", chat(stream), "x-tiergate-tier", "easy").status());
      assertEquals(200, gw.post("/v1/chat/completions", chat(stream), "x-tiergate-tier", "strict").status());
    }
    Wire.await("both easy requests met the objective", 5_000, () -> slo("easy", "true") == easyMet + 2);
    Wire.await("both strict requests missed its 50 ms TTFT", 5_000, () -> slo("strict", "false") == strictMissed + 2);
    assertEquals(0, slo("easy", "false"));
    assertEquals(0, slo("strict", "true"));
  }

  @Test
  void aTierWithoutObjectivesHasNoGoodputSeries() {
    assertEquals(200, gw.post("/v1/chat/completions", chat(false), "x-tiergate-tier", "plain").status());
    assertNull(registry().find("tiergate_slo_requests").tag("tier", "plain").counter());
    assertNotNull(registry().find("tiergate_slo_requests").tag("tier", "easy").tag("met", "false").counter(),
        "a configured tier's series exist from the start, at zero");
  }

  @Test
  void everyGeneratedAnswerRecordsHowFarTheTtftPredictionWasAndSaysWhatItWas() {
    long before = predictionErrors("easy");
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true), "x-tiergate-tier", "easy");
    assertEquals(200, r.status());
    String predicted = r.header("x-tiergate-predicted-ttft-ms");
    assertNotNull(predicted, "the prediction is told even in rules mode");
    assertTrue(Long.parseLong(predicted) >= 0);
    Wire.await("the error was recorded", 5_000, () -> predictionErrors("easy") == before + 1);
  }
}
