package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK works through the gateway unchanged apart from the base URL. */
class OpenAiSdkTest {
  static TestGateway gw;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("served").withTtftBaseMs(2).withDecodeTps(2000).withDenseBatching(false))
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: served }]
            """)
        .start();
    client = OpenAIOkHttpClient.builder().baseUrl(gw.baseUrl() + "/v1").apiKey("unused").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    gw.close();
  }

  static ChatCompletionCreateParams params() {
    return ChatCompletionCreateParams.builder().model("qwen3.6-27b").addUserMessage("Tell me a story").maxCompletionTokens(8).build();
  }

  @Test
  void nonStreaming() {
    ChatCompletion c = client.chat().completions().create(params());
    assertEquals("qwen3.6-27b", c.model());
    assertFalse(c.choices().get(0).message().content().orElse("").isBlank());
    assertEquals(8, c.usage().orElseThrow().completionTokens());
  }

  @Test
  void streaming() {
    List<String> parts = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params())) {
      s.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(parts::add)));
    }
    assertTrue(parts.stream().filter(p -> !p.isEmpty()).count() == 8, parts.toString());
  }
}
