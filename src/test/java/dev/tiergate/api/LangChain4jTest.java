package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI module works through the gateway, base URL only: chat and streaming. */
class LangChain4jTest {
  static TestGateway gw;

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
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void chat() {
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(gw.baseUrl() + "/v1").apiKey("unused").modelName("qwen3.6-27b")
        .maxTokens(8).maxRetries(0).build();
    ChatResponse r = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
        .messages(dev.langchain4j.data.message.UserMessage.from("Tell me a story")).build());
    assertFalse(r.aiMessage().text().isBlank());
    assertEquals(8, r.tokenUsage().outputTokenCount());
    assertEquals("qwen3.6-27b", r.modelName(), "the client's model name comes back");
  }

  @Test
  void streaming() throws Exception {
    OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(gw.baseUrl() + "/v1").apiKey("unused")
        .modelName("qwen3.6-27b").maxTokens(8).build();
    List<String> parts = new ArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    model.chat("Tell me a story", new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String partial) {
        parts.add(partial);
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        done.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }
    });
    ChatResponse r = done.get(30, TimeUnit.SECONDS);
    assertEquals(8, parts.stream().filter(p -> !p.isEmpty()).count(), parts.toString());
    assertEquals(String.join("", parts), r.aiMessage().text());
    assertEquals(8, r.tokenUsage().outputTokenCount());
  }
}
