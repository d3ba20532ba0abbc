package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The README's steering and rule promises, over the wire: each rule condition decides on its own
 * (a request that differs only in that condition goes elsewhere), the first matching rule wins, the
 * header beats a model alias, and a tier is skipped for the window its engine reported.
 */
@ExtendWith(BlockedLoopGuard.class)
class RoutingPromisesTest {
  static TestGateway gw;
  static final String TOOLS = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}}}]";

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000).withDecodeTps(2000)
        .withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("any-1", sim)
        .sim("small-1", sim.withContextWindow(2048))
        .sim("large-1", sim)
        .config("""
            health: { intervalMs: 600000 }
            routing:
              defaultTier: main
              aliases: { big-brain: second, quick: short }
              rules:
                - { name: short-stream, when: { stream: true, promptTokensBelow: 100 }, tier: short }
                - { name: tools, when: { hasTools: true }, tier: tools }
                - { name: legacy, when: { endpoint: completions }, tier: legacy }
                - { name: first, when: { maxTokensAtLeast: 1000 }, tier: first }
                - { name: second, when: { maxTokensAtLeast: 500 }, tier: second }
            tiers:
              - { name: main, fallback: [], backends: [{ name: main-1, url: "${SIM_ANY_1}", engine: vllm, model: m }] }
              - { name: short, fallback: [], backends: [{ name: short-1, url: "${SIM_ANY_1}", engine: vllm, model: m }] }
              - { name: tools, fallback: [], backends: [{ name: tools-1, url: "${SIM_ANY_1}", engine: vllm, model: m }] }
              - { name: legacy, fallback: [], backends: [{ name: legacy-1, url: "${SIM_ANY_1}", engine: vllm, model: m }] }
              - { name: first, fallback: [], backends: [{ name: first-1, url: "${SIM_ANY_1}", engine: vllm, model: m }] }
              - { name: second, fallback: [], backends: [{ name: second-1, url: "${SIM_ANY_1}", engine: vllm, model: m }] }
              # No contextWindow here: the gateway only knows small-1's 2048 tokens from its engine.
              - { name: small, fallback: [large], backends: [{ name: small-1, url: "${SIM_SMALL_1}", engine: vllm, model: m }] }
              - { name: large, fallback: [], backends: [{ name: large-1, url: "${SIM_LARGE_1}", engine: vllm, model: m }] }
            """)
        .start();
    Wire.await("the probe read small-1's window", 5_000,
        () -> Integer.valueOf(2048).equals(gw.gateway().services().fleet().get("small-1").discoveredWindow()));
    Wire.warmUp(gw, "main");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static String chat(String model, boolean stream, int words, int maxTokens, String extra) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":" + maxTokens + extra
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(words) + "\"}]}";
  }

  static void routed(TestGateway.Reply r, String tier, String reason) {
    assertEquals(200, r.status(), r.body());
    assertEquals(tier, r.header("x-tiergate-tier"), r.body());
    assertEquals(reason, r.header("x-tiergate-reason"));
  }

  @ParameterizedTest(name = "stream={0} words={1} max_tokens={2} tools={3} -> {4}")
  @CsvSource({
      // promptTokensBelow + stream: both must hold
      "true, 2, 8, false, short, rule:short-stream",
      "false, 2, 8, false, main, default",
      "true, 200, 8, false, main, default",
      // hasTools
      "false, 2, 8, true, tools, rule:tools",
      // the first matching rule wins: short-stream comes before tools
      "true, 2, 8, true, short, rule:short-stream",
      // two rules match max_tokens 2000; the first one listed wins
      "false, 2, 2000, false, first, rule:first",
      "false, 2, 600, false, second, rule:second",
      "false, 2, 499, false, main, default",
  })
  void rulesDecideByEachConditionAndTheFirstMatchWins(boolean stream, int words, int maxTokens, boolean tools, String tier,
      String reason) {
    routed(gw.post("/v1/chat/completions", chat("m", stream, words, maxTokens, tools ? TOOLS : "")), tier, reason);
  }

  @Test
  void aPromptJustUnderTheBoundIsShortAndOneAtItIsNot() {
    int below = Integer.parseInt(gw.post("/v1/chat/completions", chat("m", true, 2, 8, "")).header("x-tiergate-prompt-tokens"));
    assertTrue(below < 100, "a two-word prompt is estimated under 100 tokens: " + below);
    // "word " is 5 characters: 80 words ≈ 100 tokens plus the message overhead, at or over the bound.
    TestGateway.Reply atBound = gw.post("/v1/chat/completions", chat("m", true, 80, 8, ""));
    assertTrue(Integer.parseInt(atBound.header("x-tiergate-prompt-tokens")) >= 100, atBound.header("x-tiergate-prompt-tokens"));
    routed(atBound, "main", "default");
  }

  @Test
  void theCompletionsEndpointHasItsOwnRule() {
    routed(gw.post("/v1/completions", "{\"model\":\"m\",\"max_tokens\":4,\"prompt\":\"Once upon a time\"}"), "legacy",
        "rule:legacy");
    routed(gw.post("/v1/chat/completions", chat("m", false, 4, 4, "")), "main", "default");
  }

  @Test
  void theHeaderBeatsAModelAlias() {
    routed(gw.post("/v1/chat/completions", chat("big-brain", false, 2, 8, "")), "second", "hint:model");
    routed(gw.post("/v1/chat/completions", chat("big-brain", false, 2, 8, ""), "x-tiergate-tier", "tools"), "tools", "hint:header");
    routed(gw.post("/v1/chat/completions", chat("tiergate/first", false, 2, 8, ""), "x-tiergate-tier", "legacy"), "legacy",
        "hint:header");
  }

  @Test
  void aHintBeatsEveryRule() {
    routed(gw.post("/v1/chat/completions", chat("quick", false, 2, 2000, TOOLS)), "short", "hint:model");
  }

  @Test
  void aTierIsSkippedForTheWindowItsEngineReported() {
    var small = gw.sim("small-1").stats();
    small.reset();
    // ≈ 2400 tokens of prompt: more than small-1's 2048, which only its /v1/models said.
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat("m", false, 1900, 16, ""), "x-tiergate-tier", "small");
    routed(r, "large", "fallback:small-context");
    assertNull(r.header("x-tiergate-failed"), "small-1 was never tried");
    assertEquals(0, small.requests(), "small-1 never saw the prompt it could not hold");
    // A prompt that fits still goes there: the skip is about the window, not about small-1.
    routed(gw.post("/v1/chat/completions", chat("m", false, 10, 16, ""), "x-tiergate-tier", "small"), "small", "hint:header");
    assertEquals(1, small.requests());
    JsonObject strict = new JsonObject(gw.post("/v1/chat/completions", chat("m", false, 1900, 16, ""), "x-tiergate-tier", "small",
        "x-tiergate-strict", "true").body());
    assertEquals("context_length_exceeded", strict.getJsonObject("error").getString("code"));
    assertTrue(strict.getJsonObject("error").getString("message").contains("2048"), strict.encode());
  }

  @Test
  void unknownModelsAreServedUnlessTheConfigSaysToRejectThem() {
    routed(gw.post("/v1/chat/completions", chat("no-such-model", false, 2, 8, "")), "main", "default");
    try (TestGateway strict = TestGateway.builder()
        .sim("one-1", SimOptions.defaults("vllm").withModel("served-name").withTtftBaseMs(1).withDecodeTps(2000)
            .withDenseBatching(false))
        .config("""
            health: { intervalMs: 600000 }
            routing: { defaultTier: one, rejectUnknownModels: true, aliases: { nick: one } }
            tiers:
              - { name: one, backends: [{ name: one-1, url: "${SIM_ONE_1}", engine: vllm, model: served-name }] }
            """)
        .start()) {
      TestGateway.Reply unknown = strict.post("/v1/chat/completions", chat("no-such-model", false, 2, 8, ""));
      assertEquals(404, unknown.status(), unknown.body());
      JsonObject err = new JsonObject(unknown.body()).getJsonObject("error");
      assertEquals(Set.of("message", "type", "param", "code"), err.fieldNames());
      assertEquals("model_not_found", err.getString("code"));
      assertEquals("model", err.getString("param"));
      assertTrue(err.getString("message").contains("no-such-model"), err.encode());
      assertEquals(0, strict.sim("one-1").stats().requests(), "refused before any engine saw it");
      for (String known : new String[] {"served-name", "tiergate/one", "nick"}) {
        TestGateway.Reply r = strict.post("/v1/chat/completions", chat(known, false, 2, 8, ""));
        assertEquals(200, r.status(), known + ": " + r.body());
        assertEquals(known, new JsonObject(r.body()).getString("model"));
      }
    }
  }
}
