package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.DistributionSummary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The prompt estimate learns from the engines: they count one token per character here (as for
 * Chinese text), four times what the configured ratio assumes, so at first a long prompt slips under
 * the long-prompt rule; after a few answers the estimate matches the engine's count, the rule
 * applies, and the estimate-error histogram shows the error shrinking.
 */
class EstimateLearningTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000).withDecodeTps(5000)
        .withDenseBatching(false).withCharsPerToken(1.0);
    gw = TestGateway.builder()
        .sim("small-1", sim)
        .sim("big-1", sim)
        .config("""
            health: { intervalMs: 600000 }
            routing:
              defaultTier: small
              charsPerToken: 4.0
              rules: [{ name: long-prompt, when: { promptTokensAtLeast: 1500 }, tier: big }]
            tiers:
              - name: small
                backends: [{ name: small-1, url: "${SIM_SMALL_1}", engine: vllm, model: m }]
              - name: big
                backends: [{ name: big-1, url: "${SIM_BIG_1}", engine: vllm, model: m }]
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static TestGateway.Reply ask(int chars) {
    return gw.post("/v1/chat/completions", "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\""
        + "abcd ".repeat(chars / 5) + "\"}]}");
  }

  static DistributionSummary errors(String tier) {
    return gw.gateway().services().metrics().registry().find("tiergate_prompt_estimate_error").tag("tier", tier).summary();
  }

  @Test
  void theEstimateLearnsTheEnginesCountAndRoutingFollows() {
    TestGateway.Reply first = ask(2000);
    assertEquals(200, first.status(), first.body());
    assertEquals("small", first.header("x-tiergate-tier"), "≈ 500 tokens by the configured ratio");
    assertEquals(4 + 500, Integer.parseInt(first.header("x-tiergate-prompt-tokens")));
    Wire.await("the first answer is recorded", 5_000, () -> errors("small") != null && errors("small").count() == 1);
    assertEquals((4 + 500) / 2000.0, errors("small").max(), 1e-6, "estimate ÷ the engine's 2000 tokens");

    for (int i = 0; i < 3; i++) {
      ask(2000 + 500 * i);
    }
    TestGateway.Reply later = ask(3000);
    int estimate = Integer.parseInt(later.header("x-tiergate-prompt-tokens"));
    assertEquals(3000, estimate, 60, "within 2% of what the engine will count");
    assertEquals("big", later.header("x-tiergate-tier"));
    assertEquals("rule:long-prompt", later.header("x-tiergate-reason"));
    Wire.await("the later answer is recorded", 5_000, () -> errors("big") != null && errors("big").count() >= 1);
    assertTrue(Math.abs(errors("big").mean() - 1) < 0.05, "the error has shrunk to " + errors("big").mean());

    // The status page shows what each backend learned: this engine counts one token per character of prose.
    io.vertx.core.json.JsonObject status = new io.vertx.core.json.JsonObject(gw.get("/tiergate/status").body());
    io.vertx.core.json.JsonObject small = status.getJsonArray("tiers").getJsonObject(0).getJsonArray("backends")
        .getJsonObject(0).getJsonObject("promptEstimate");
    assertEquals(1, small.getLong("samples"), "small answered the first only: " + small.encode());
    assertEquals(1.0, small.getJsonObject("charsPerToken").getDouble("prose"), 0.05, small.encode());
    assertEquals(4.0, small.getJsonObject("charsPerToken").getDouble("code"), 0.5, "no code seen: the prior, " + small.encode());
  }
}
