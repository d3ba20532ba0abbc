package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each engine's stream shape, relayed through the gateway, looks like OpenAI's to the client. */
@ExtendWith(BlockedLoopGuard.class)
class GatewayRelayTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    TestGateway.Builder b = TestGateway.builder();
    StringBuilder tiers = new StringBuilder(
        "routing: { defaultTier: vllm, aliases: { quick: vllm, deep-thought: sglang } }\ntiers:\n");
    for (String e : List.of("vllm", "sglang", "llamacpp", "ikllama")) {
      b.sim(e + "-1", SimOptions.defaults(e).withModel(e + "-served").withDecodeTps(2000).withTtftBaseMs(5)
          .withPrefillTps(200000).withDenseBatching(false));
      tiers.append("  - name: ").append(e).append("\n    fallback: []\n    backends: [{ name: ").append(e)
          .append("-1, url: \"${SIM_").append(e.toUpperCase()).append("_1}\", engine: ").append(e)
          .append(", model: ").append(e).append("-served }]\n");
    }
    gw = b.config(tiers.toString()).start();
    // First requests load classes for hundreds of ms; keep that out of the blocked-loop guard's window.
    Wire.warmUp(gw, "vllm");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static List<JsonObject> events(String sse, List<String> raw) {
    List<JsonObject> out = new ArrayList<>();
    for (String block : sse.split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      assertTrue(block.startsWith("data: "), "every event is a data line: " + block);
      String data = block.substring(6);
      raw.add(data);
      if (!data.equals("[DONE]")) {
        out.add(new JsonObject(data));
      }
    }
    return out;
  }

  static String chat(boolean stream, boolean usage) {
    return "{\"model\":\"my-client-model\",\"stream\":" + stream + ",\"max_tokens\":12"
        + (usage ? ",\"stream_options\":{\"include_usage\":true}" : "")
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say something\"}]}";
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void streamLooksLikeOpenAi(String engine) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true, false), "x-tiergate-tier", engine);
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("text/event-stream"));
    assertEquals(engine, r.header("x-tiergate-tier"));
    assertEquals(engine + "-1", r.header("x-tiergate-backend"));
    assertEquals("hint:header", r.header("x-tiergate-reason"));
    assertNotNull(r.header("x-tiergate-prompt-tokens"));
    List<String> raw = new ArrayList<>();
    List<JsonObject> ev = events(r.body(), raw);
    assertEquals("[DONE]", raw.get(raw.size() - 1), "stream ends with [DONE]");
    JsonObject first = ev.get(0).getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
    assertEquals("assistant", first.getString("role"), "first chunk carries the role");
    StringBuilder text = new StringBuilder();
    int withText = 0;
    for (JsonObject e : ev) {
      assertEquals("my-client-model", e.getString("model"), "the client sees its own model name");
      assertFalse(e.containsKey("usage") && e.getValue("usage") != null && e.getJsonArray("choices").isEmpty(),
          "usage event dropped when the client did not ask");
      JsonArray choices = e.getJsonArray("choices");
      if (!choices.isEmpty()) {
        JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
        String c = delta == null ? null : delta.getString("content");
        if (c != null && !c.isEmpty()) {
          text.append(c);
          withText++;
        }
      }
    }
    assertEquals(12, withText, "every token relayed");
    assertFalse(text.toString().isBlank());
    String sent = gw.sim(engine + "-1").stats().lastRequestBody();
    JsonObject upstream = new JsonObject(sent);
    assertEquals(engine + "-served", upstream.getString("model"), "the backend gets its own served name");
    assertEquals(true, upstream.getJsonObject("stream_options").getBoolean("include_usage"), "usage always asked upstream");
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void usageEventReachesAClientThatAsked(String engine) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(true, true), "x-tiergate-tier", engine);
    List<JsonObject> ev = events(r.body(), new ArrayList<>());
    JsonObject last = ev.get(ev.size() - 1);
    assertEquals(12, last.getJsonObject("usage").getInteger("completion_tokens"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void nonStreamingIsRelayedWithStatusAndUsage(String engine) {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(false, false), "x-tiergate-tier", engine);
    assertEquals(200, r.status());
    assertTrue(r.header("content-type").startsWith("application/json"));
    JsonObject body = new JsonObject(r.body());
    assertEquals("my-client-model", body.getString("model"));
    assertEquals(12, body.getJsonObject("usage").getInteger("completion_tokens"));
    assertEquals(engine, r.header("x-tiergate-tier"));
  }

  @Test
  void completionsEndpointStreamsText() {
    TestGateway.Reply r = gw.post("/v1/completions",
        "{\"model\":\"m\",\"prompt\":\"Once upon\",\"max_tokens\":5,\"stream\":true}", "x-tiergate-tier", "llamacpp");
    assertEquals(200, r.status());
    List<String> raw = new ArrayList<>();
    List<JsonObject> ev = events(r.body(), raw);
    long texts = ev.stream().filter(e -> !e.getJsonArray("choices").isEmpty())
        .filter(e -> !e.getJsonArray("choices").getJsonObject(0).getString("text", "").isEmpty()).count();
    assertEquals(5, texts);
    assertEquals("[DONE]", raw.get(raw.size() - 1));
  }

  @Test
  void modelsListsServedNamesTiersAndAliases() {
    JsonObject models = new JsonObject(gw.get("/v1/models").body());
    assertEquals("list", models.getString("object"));
    List<String> ids = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (Object o : models.getJsonArray("data")) {
      JsonObject m = (JsonObject) o;
      ids.add(m.getString("id"));
      kinds.add(m.getString("id") + "=" + m.getJsonObject("tiergate").getString("kind"));
      assertEquals("model", m.getString("object"), m.encode());
    }
    assertEquals(List.of("vllm-served", "sglang-served", "llamacpp-served", "ikllama-served",
        "tiergate/vllm", "tiergate/sglang", "tiergate/llamacpp", "tiergate/ikllama"), ids.subList(0, 8));
    assertEquals(java.util.Set.of("quick", "deep-thought"), java.util.Set.copyOf(ids.subList(8, ids.size())),
        "the aliases, after the tiers: " + ids);
    assertTrue(kinds.containsAll(List.of("vllm-served=model", "tiergate/sglang=tier", "quick=alias", "deep-thought=alias")),
        kinds.toString());
    TestGateway.Reply byAlias = gw.post("/v1/chat/completions", chat(false, false).replace("my-client-model", "deep-thought"));
    assertEquals("sglang", byAlias.header("x-tiergate-tier"), "a listed alias routes to its tier");
    assertEquals("hint:model", byAlias.header("x-tiergate-reason"));
  }

  @Test
  void healthAndReady() {
    assertEquals(200, gw.get("/health").status());
    assertEquals(200, gw.get("/ready").status());
  }
}
