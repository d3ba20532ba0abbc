package dev.tiergate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code server.reasoningField}: with {@code reasoning_content} or {@code reasoning} every engine's
 * reasoning arrives under that one key, streamed or not. (The default, as sent, is in
 * {@link EngineConformanceTest}.) One gateway per setting, each with all four engines.
 */
@ExtendWith(BlockedLoopGuard.class)
class ReasoningFieldTest {
  static final Map<String, TestGateway> GATEWAYS = new ConcurrentHashMap<>();

  static TestGateway gateway(String field) {
    return GATEWAYS.computeIfAbsent(field, f -> {
      TestGateway.Builder b = TestGateway.builder();
      StringBuilder yaml = new StringBuilder("server: { port: 0, instances: 2, reasoningField: " + f + " }\n"
          + "routing: { defaultTier: vllm }\ntiers:\n");
      for (String e : List.of("vllm", "sglang", "llamacpp", "ikllama")) {
        b.sim(e + "-1", SimOptions.defaults(e).withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000)
            .withDecodeTps(2000).withDenseBatching(false).withReasoningTokens(3));
        yaml.append("  - name: ").append(e).append("\n    fallback: []\n    backends: [{ name: ").append(e)
            .append("-1, url: \"${SIM_").append(e.toUpperCase()).append("_1}\", engine: ").append(e)
            .append(", model: m }]\n");
      }
      TestGateway gw = b.config(yaml.toString()).start();
      Wire.warmUp(gw, "vllm", "sglang", "llamacpp", "ikllama");
      return gw;
    });
  }

  @AfterAll
  static void stop() {
    GATEWAYS.values().forEach(TestGateway::close);
    GATEWAYS.clear();
  }

  static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"max_tokens\":6,\"messages\":[{\"role\":\"user\",\"content\":\"think\"}]}";
  }

  @ParameterizedTest
  @CsvSource({
      "reasoning_content,vllm", "reasoning_content,sglang", "reasoning_content,llamacpp", "reasoning_content,ikllama",
      "reasoning,vllm", "reasoning,sglang", "reasoning,llamacpp", "reasoning,ikllama"})
  void reasoningArrivesUnderTheConfiguredKey(String field, String engine) {
    TestGateway gw = gateway(field);
    String other = field.equals("reasoning") ? "reasoning_content" : "reasoning";
    TestGateway.Reply s = gw.post("/v1/chat/completions", chat(true), "x-tiergate-tier", engine);
    assertEquals(200, s.status(), s.body());
    assertEquals(3, Wire.joined(s.body(), field).split(" ").length, s.body());
    assertEquals(3, Wire.joined(s.body(), "content").split(" ").length, s.body());
    for (JsonObject e : Wire.events(s.body())) {
      JsonObject d = Wire.delta(e);
      assertFalse(d != null && d.getValue(other) != null, "no reasoning under " + other + ": " + e);
    }
    TestGateway.Reply n = gw.post("/v1/chat/completions", chat(false), "x-tiergate-tier", engine);
    JsonObject message = new JsonObject(n.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message");
    assertEquals(3, message.getString(field).strip().split(" ").length, n.body());
    assertFalse(message.getValue(other) != null, n.body());
    Wire.awaitNothingInFlight(gw);
  }
}
