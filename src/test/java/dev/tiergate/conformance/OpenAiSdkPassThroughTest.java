package dev.tiergate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official OpenAI Java SDK, unchanged but for the base URL, gets each engine's tool calls and
 * reasoning intact: a streamed tool call reassembles into one call with parseable arguments.
 */
@ExtendWith(BlockedLoopGuard.class)
class OpenAiSdkPassThroughTest {
  static final List<String> ENGINES = List.of("vllm", "sglang", "llamacpp", "ikllama");
  static TestGateway gw;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    TestGateway.Builder b = TestGateway.builder();
    StringBuilder yaml = new StringBuilder("health: { intervalMs: 600000 }\nrouting: { defaultTier: vllm }\ntiers:\n");
    for (String e : ENGINES) {
      b.sim(e + "-1", SimOptions.defaults(e).withModel("served").withTtftBaseMs(2).withPrefillTps(1_000_000)
          .withDecodeTps(2000).withDenseBatching(false).withReasoningTokens(2));
      yaml.append("  - name: ").append(e).append("\n    fallback: []\n    backends: [{ name: ").append(e)
          .append("-1, url: \"${SIM_").append(e.toUpperCase()).append("_1}\", engine: ").append(e)
          .append(", model: served }]\n");
    }
    gw = b.config(yaml.toString()).start();
    Wire.warmUp(gw, ENGINES.toArray(String[]::new));
    client = OpenAIOkHttpClient.builder().baseUrl(gw.baseUrl() + "/v1").apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    gw.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static ChatCompletionCreateParams weather(String engine) {
    return ChatCompletionCreateParams.builder()
        .model("tiergate/" + engine)
        .addUserMessage("What is the weather in Paris?")
        .addFunctionTool(FunctionDefinition.builder().name("get_weather").description("Current weather for a city")
            .parameters(FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                .build())
            .build())
        .parallelToolCalls(false)
        .maxCompletionTokens(64)
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void aStreamedToolCallArrivesIntact(String engine) {
    List<String> ids = new ArrayList<>();
    List<String> names = new ArrayList<>();
    StringBuilder args = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    List<ChatCompletionChunk.Choice.FinishReason> finishes = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(weather(engine))) {
      s.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
        ch.finishReason().ifPresent(finishes::add);
        reasoning.append(reasoningOf(ch.delta()._additionalProperties()));
        ch.delta().toolCalls().ifPresent(calls -> calls.forEach(tc -> {
          assertEquals(0, tc.index());
          tc.id().ifPresent(ids::add);
          tc.function().ifPresent(f -> {
            f.name().ifPresent(names::add);
            f.arguments().ifPresent(args::append);
          });
        }));
      }));
    }
    assertEquals(1, ids.size(), "one call id: " + ids);
    assertTrue(ids.get(0).startsWith("call_"), ids.get(0));
    assertEquals(List.of("get_weather"), names);
    assertEquals("Paris", new JsonObject(args.toString()).getString("city"), "arguments concatenate to JSON: " + args);
    assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.TOOL_CALLS), finishes);
    assertEquals(2, reasoning.toString().strip().split(" ").length, "reasoning came before the call: " + reasoning);
    JsonObject upstream = new JsonObject(gw.sim(engine + "-1").stats().lastRequestBody());
    assertEquals("get_weather", upstream.getJsonArray("tools").getJsonObject(0).getJsonObject("function").getString("name"));
    assertEquals(false, upstream.getBoolean("parallel_tool_calls"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void aToolCallArrivesIntactUnstreamed(String engine) {
    ChatCompletion c = client.chat().completions().create(weather(engine));
    ChatCompletion.Choice choice = c.choices().get(0);
    assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
    var calls = choice.message().toolCalls().orElseThrow();
    assertEquals(1, calls.size());
    ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
    assertEquals("get_weather", call.function().name());
    assertEquals("Paris", new JsonObject(call.function().arguments()).getString("city"));
    assertFalse(reasoningOf(choice.message()._additionalProperties()).isBlank(), "reasoning is relayed too");
  }

  /** vLLM says {@code reasoning}, the others {@code reasoning_content}; the SDK keeps both as extra properties. */
  static String reasoningOf(Map<String, JsonValue> extra) {
    for (String key : new String[] {"reasoning", "reasoning_content"}) {
      JsonValue v = extra.get(key);
      if (v != null) {
        Object o = v.convert(Object.class);
        if (o instanceof String s) {
          return s;
        }
      }
    }
    return "";
  }
}
