package dev.tiergate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same conformance cases for every engine, each against a simulator speaking that engine's
 * dialect: whatever the engine, the client sees OpenAI's shapes, and the engine gets a request it
 * understands. Per engine {@code e} there are three tiers: {@code e} (plain), {@code e-small}
 * (a 512-token window the gateway does not know and underestimates, so the engine itself must
 * reject long prompts: the estimate does not learn here, or it would soon know better) and {@code e-think} (reasoning first).
 */
@ExtendWith(BlockedLoopGuard.class)
class EngineConformanceTest {
  static final List<String> ENGINES = List.of("vllm", "sglang", "llamacpp", "ikllama");
  /** Distinct from llama.cpp's n_ctx_train (262144), so discovery must read the real window. */
  static final int WINDOW = 40960;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    TestGateway.Builder b = TestGateway.builder();
    StringBuilder yaml = new StringBuilder("""
        health: { intervalMs: 600000, failureThreshold: 1000 }
        routing: { defaultTier: vllm, learnPromptEstimate: false }
        tiers:
        """);
    for (String e : ENGINES) {
      SimOptions sim = SimOptions.defaults(e).withModel(e + "-served").withTtftBaseMs(2).withPrefillTps(1_000_000)
          .withDecodeTps(2000).withDenseBatching(false).withContextWindow(WINDOW);
      b.sim(e + "-1", sim);
      // Counts every character as a token while the gateway estimates four per token.
      b.sim(e + "-small", sim.withContextWindow(512).withCharsPerToken(1.0));
      b.sim(e + "-think", sim.withReasoningTokens(3));
      for (String suffix : new String[] {"", "-small", "-think"}) {
        String backend = e + (suffix.isEmpty() ? "-1" : suffix);
        yaml.append("  - name: ").append(e).append(suffix).append("\n    fallback: []\n    backends: [{ name: ")
            .append(backend).append(", url: \"${SIM_").append(backend.toUpperCase().replace('-', '_'))
            .append("}\", engine: ").append(e).append(", model: ").append(e).append("-served }]\n");
      }
    }
    gw = b.config(yaml.toString()).start();
    Wire.await("every window discovered", 5_000, () -> ENGINES.stream()
        .allMatch(e -> gw.gateway().services().fleet().get(e + "-small").discoveredWindow() != null
            && gw.gateway().services().fleet().get(e + "-1").discoveredWindow() != null));
    Wire.warmUp(gw, ENGINES.toArray(String[]::new));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String chat(boolean stream, String extra) {
    return "{\"model\":\"client-model\",\"stream\":" + stream + extra
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say something\"}]}";
  }

  static TestGateway.Reply post(String engine, String body, String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "x-tiergate-tier";
    all[1] = engine;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return gw.post("/v1/chat/completions", body, all);
  }

  static JsonObject upstreamBody(String backend) {
    return new JsonObject(gw.sim(backend).stats().lastRequestBody());
  }

  // --- shapes -------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void aStreamHasOpenAisShape(String engine) {
    TestGateway.Reply r = post(engine, chat(true, ",\"max_tokens\":6"));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("text/event-stream"));
    List<JsonObject> ev = Wire.events(r.body());
    assertEquals("assistant", Wire.delta(ev.get(0)).getString("role"), "the first chunk carries the role");
    for (JsonObject e : ev) {
      assertEquals("client-model", e.getString("model"), "the client's own model name");
      assertFalse(e.getJsonArray("choices").isEmpty(), "no usage-only event when the client did not ask: " + e);
      assertNull(e.getValue("error"));
    }
    assertEquals(6, Wire.joined(r.body(), "content").split(" ").length, r.body());
    // ik_llama reports "stop" when max_tokens ran out; the client must see "length", as from the others.
    assertEquals("length", Wire.finishReason(r.body()), r.body());
    assertTrue(Wire.endsWithDone(r.body()), r.body());
    assertEquals(1, Wire.data(r.body()).stream().filter("[DONE]"::equals).count(), "exactly one [DONE]");
    JsonObject up = upstreamBody(engine + "-1");
    assertEquals(engine + "-served", up.getString("model"), "the engine gets its served name");
    assertEquals(true, up.getJsonObject("stream_options").getBoolean("include_usage"), "usage always requested upstream");
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void theUsageEventReachesAClientThatAskedForIt(String engine) {
    TestGateway.Reply r = post(engine, chat(true, ",\"max_tokens\":6,\"stream_options\":{\"include_usage\":true}"));
    List<JsonObject> ev = Wire.events(r.body());
    JsonObject last = ev.get(ev.size() - 1);
    assertTrue(last.getJsonArray("choices").isEmpty(), "usage comes in its own last event: " + last);
    assertEquals(6, last.getJsonObject("usage").getInteger("completion_tokens"));
    assertTrue(Wire.endsWithDone(r.body()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void aNonStreamedAnswerHasOpenAisShape(String engine) {
    TestGateway.Reply r = post(engine, chat(false, ",\"max_tokens\":6"));
    assertEquals(200, r.status(), r.body());
    JsonObject body = new JsonObject(r.body());
    assertEquals("chat.completion", body.getString("object"));
    assertEquals("client-model", body.getString("model"));
    JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
    assertEquals("assistant", choice.getJsonObject("message").getString("role"));
    assertEquals(6, choice.getJsonObject("message").getString("content").strip().split(" ").length);
    assertEquals("length", choice.getString("finish_reason"), "ik_llama's stop at max_tokens is a length");
    assertEquals(6, body.getJsonObject("usage").getInteger("completion_tokens"));
    assertNull(upstreamBody(engine + "-1").getValue("stream_options"), "no stream options on a non-streamed request");
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void aNaturalStopStaysStop(String engine) {
    TestGateway.Reply s = post(engine, chat(true, ",\"max_tokens\":10"), "x-sim-output-tokens", "3");
    assertEquals(3, Wire.joined(s.body(), "content").split(" ").length, s.body());
    assertEquals("stop", Wire.finishReason(s.body()), s.body());
    TestGateway.Reply n = post(engine, chat(false, ",\"max_tokens\":10"), "x-sim-output-tokens", "3");
    assertEquals("stop", new JsonObject(n.body()).getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void completionsStreamHasOpenAisShape(String engine) {
    TestGateway.Reply r = gw.post("/v1/completions",
        "{\"model\":\"client-model\",\"stream\":true,\"max_tokens\":5,\"prompt\":\"Once upon a time\"}",
        "x-tiergate-tier", engine);
    assertEquals(200, r.status(), r.body());
    StringBuilder text = new StringBuilder();
    for (JsonObject e : Wire.events(r.body())) {
      assertEquals("client-model", e.getString("model"));
      JsonArray choices = e.getJsonArray("choices");
      assertFalse(choices.isEmpty(), "no usage-only event: " + e);
      text.append(choices.getJsonObject(0).getString("text", ""));
    }
    assertEquals(5, text.toString().strip().split(" ").length, r.body());
    assertEquals("length", Wire.finishReason(r.body()), r.body());
    assertTrue(Wire.endsWithDone(r.body()));
  }

  // --- what the engine receives -------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp"})
  void oneMaxTokensFieldTheEngineHonours(String engine) {
    TestGateway.Reply r = post(engine, chat(true, ",\"max_completion_tokens\":7"));
    assertEquals(7, Wire.joined(r.body(), "content").split(" ").length, "the engine honoured the limit: " + r.body());
    JsonObject up = upstreamBody(engine + "-1");
    assertEquals(7, up.getInteger("max_completion_tokens"), up.encode());
  }

  @Test
  void ikLlamaGetsMaxTokensBecauseItRanksThatFieldFirst() {
    TestGateway.Reply r = post("ikllama", chat(true, ",\"max_completion_tokens\":7"));
    assertEquals(7, Wire.joined(r.body(), "content").split(" ").length, "the engine honoured the limit: " + r.body());
    JsonObject up = upstreamBody("ikllama-1");
    assertEquals(7, up.getInteger("max_tokens"), "ik_llama ranks max_tokens first: " + up);
    assertFalse(up.containsKey("max_completion_tokens"), up.encode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void theRepetitionPenaltyGoesByTheEnginesName(String engine) {
    boolean llama = engine.equals("llamacpp") || engine.equals("ikllama");
    for (String sent : new String[] {"repetition_penalty", "repeat_penalty"}) {
      post(engine, chat(false, ",\"max_tokens\":2,\"" + sent + "\":1.15"));
      JsonObject up = upstreamBody(engine + "-1");
      String expected = llama ? "repeat_penalty" : "repetition_penalty";
      String other = llama ? "repetition_penalty" : "repeat_penalty";
      assertEquals(1.15, up.getDouble(expected), 1e-9, "sent " + sent + ", engine got " + up.encode());
      assertFalse(up.containsKey(other), up.encode());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void everythingElseIsPassedThroughUntouched(String engine) {
    JsonObject extra = new JsonObject()
        .put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("function", new JsonObject()
            .put("name", "lookup").put("description", "Looks things up")
            .put("parameters", new JsonObject().put("type", "object").put("properties",
                new JsonObject().put("q", new JsonObject().put("type", "string")))))))
        .put("tool_choice", new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "lookup")))
        .put("parallel_tool_calls", false)
        .put("chat_template_kwargs", new JsonObject().put("enable_thinking", false))
        .put("reasoning_effort", "low")
        .put("response_format", new JsonObject().put("type", "json_object"))
        .put("seed", 42)
        .put("top_k", 20);
    String fields = extra.encode();
    post(engine, chat(false, ",\"max_tokens\":2," + fields.substring(1, fields.length() - 1)));
    JsonObject up = upstreamBody(engine + "-1");
    for (String key : extra.fieldNames()) {
      assertEquals(extra.getValue(key), up.getValue(key), key + " reached the engine as sent: " + up.encode());
    }
  }

  // --- errors -------------------------------------------------------------------------------

  static String longPrompt(boolean stream) {
    // ≈ 1500 characters: the gateway estimates ≈ 375 tokens (fits 512), the engine counts 1500.
    return "{\"model\":\"client-model\",\"stream\":" + stream + ",\"max_tokens\":16,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"" + "word ".repeat(300) + "\"}]}";
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp"})
  void aPromptTooLongForTheEngineIsContextLengthExceeded(String engine) {
    assertEquals(512, gw.gateway().services().fleet().contextWindow(engine + "-small").getAsInt());
    for (boolean stream : new boolean[] {false, true}) {
      gw.sim(engine + "-small").stats().reset();
      TestGateway.Reply r = post(engine + "-small", longPrompt(stream));
      assertEquals(1, gw.sim(engine + "-small").stats().requests(), "the engine, not the gateway, judged the prompt");
      // SGLang's streaming case answers 200 and then an error event: nothing was relayed yet, so it is still a 400.
      assertEquals(400, r.status(), "stream=" + stream + ": " + r.body());
      assertTrue(r.header("content-type").startsWith("application/json"), r.header("content-type"));
      JsonObject err = openAiError(r.body());
      assertEquals("context_length_exceeded", err.getString("code"), err.encode());
      assertEquals("invalid_request_error", err.getString("type"));
      assertEquals("messages", err.getString("param"));
      assertTrue(err.getString("message").contains("512"), "the engine's own words: " + err.getString("message"));
    }
  }

  @Test
  void ikLlamaTruncatesAPromptTooLongAndItsAnswerIsPassedThrough() {
    assertEquals(512, gw.gateway().services().fleet().contextWindow("ikllama-small").getAsInt());
    gw.sim("ikllama-small").stats().reset();
    // ik_llama.cpp truncates the prompt silently by default: its answer is passed through as it is.
    TestGateway.Reply streamed = post("ikllama-small", longPrompt(true));
    assertEquals(200, streamed.status(), streamed.body());
    assertTrue(Wire.endsWithDone(streamed.body()), streamed.body());
    assertEquals(16, Wire.joined(streamed.body(), "content").split(" ").length, streamed.body());
    TestGateway.Reply whole = post("ikllama-small", longPrompt(false));
    assertEquals(200, whole.status(), whole.body());
    assertEquals(16, new JsonObject(whole.body()).getJsonObject("usage").getInteger("completion_tokens"));
    assertEquals(2, gw.sim("ikllama-small").stats().requests(), "the engine, not the gateway, judged the prompt");
  }

  /** The body is exactly {"error":{message,type,param,code}}. */
  static JsonObject openAiError(String body) {
    JsonObject o = new JsonObject(body);
    assertEquals(Set.of("error"), o.fieldNames(), body);
    JsonObject err = o.getJsonObject("error");
    assertEquals(Set.of("message", "type", "param", "code"), err.fieldNames(), body);
    assertTrue(err.getValue("code") == null || err.getValue("code") instanceof String, "code is a string: " + body);
    return err;
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void anEngines4xxIsReWrappedWithItsStatus(String engine) {
    // The sim rejects a bad sim header like any other bad request, in its engine's envelope.
    TestGateway.Reply r = post(engine, chat(false, ",\"max_tokens\":2"), "x-sim-decode-tps", "0");
    assertEquals(400, r.status(), r.body());
    JsonObject err = openAiError(r.body());
    assertTrue(err.getString("message").contains("bad sim header"), err.encode());
    assertEquals("invalid_request_error", err.getString("type"));
    assertEquals(engine + "-1", r.header("x-tiergate-backend"), "the decision headers say who answered");
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void anEngines5xxIsReWrappedAsAGatewayStatus(String engine) {
    TestGateway.Reply r500 = post(engine, chat(true, ",\"max_tokens\":2"), "x-sim-fault", "error-500");
    assertEquals(502, r500.status(), r500.body());
    JsonObject e500 = openAiError(r500.body());
    assertEquals("upstream_error", e500.getString("code"));
    assertTrue(e500.getString("message").contains("simulated engine fault"), e500.encode());
    TestGateway.Reply r503 = post(engine, chat(false, ",\"max_tokens\":2"), "x-sim-fault", "error-503");
    assertEquals(503, r503.status(), r503.body());
    assertEquals("upstream_unavailable", openAiError(r503.body()).getString("code"));
    assertNotNull(r503.header("retry-after"));
  }

  // --- reasoning and discovery --------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void reasoningIsRelayedUnderTheEnginesOwnKeyByDefault(String engine) {
    String key = engine.equals("vllm") ? "reasoning" : "reasoning_content";
    TestGateway.Reply s = post(engine + "-think", chat(true, ",\"max_tokens\":6"));
    assertEquals(3, Wire.joined(s.body(), key).split(" ").length, s.body());
    assertEquals(3, Wire.joined(s.body(), "content").split(" ").length, s.body());
    TestGateway.Reply n = post(engine + "-think", chat(false, ",\"max_tokens\":6"));
    JsonObject message = new JsonObject(n.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message");
    assertEquals(3, message.getString(key).strip().split(" ").length, n.body());
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void theRealWindowIsDiscoveredWhenNotConfigured(String engine) {
    JsonObject status = new JsonObject(gw.get("/tiergate/status").body());
    JsonObject backend = null;
    for (Object t : status.getJsonArray("tiers")) {
      for (Object b : ((JsonObject) t).getJsonArray("backends")) {
        if (((JsonObject) b).getString("name").equals(engine + "-1")) {
          backend = (JsonObject) b;
        }
      }
    }
    assertNotNull(backend, status.encodePrettily());
    assertEquals(WINDOW, backend.getInteger("contextWindow"), backend.encode());
    assertEquals("discovered", backend.getString("contextWindowSource"));
    assertEquals("ready", backend.getString("state"));
  }
}
