package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.testing.Captures;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** llama.cpp's answers on the new endpoints (captures 17–19) as the gateway reads them, and who speaks what. */
class CaptureErrorsTest {
  static GatewayError read(String capture) {
    Captures.Capture c = Captures.load(capture);
    return Adapters.of(Engine.LLAMACPP).error(c.status(), Buffer.buffer(c.body()));
  }

  @Test
  void withoutEmbeddingsTheEngineDoesNotServeThem() {
    for (String c : List.of("19a_embeddings_without_flag", "19b_rerank_without_flag", "19c_embeddings_with_flag")) {
      GatewayError e = read(c);
      assertEquals(Kind.UNSUPPORTED_ENDPOINT, e.kind(), c + ": " + e.getMessage());
      assertTrue(e.retryable(), "another backend may serve it");
    }
    assertTrue(read("19a_embeddings_without_flag").getMessage().contains("Start it with `--embeddings`"));
  }

  @Test
  void aMessagesPromptTooLongIsContextLengthExceeded() {
    GatewayError e = read("17e_messages_over_ctx");
    assertEquals(Kind.CONTEXT_LENGTH_EXCEEDED, e.kind());
    assertTrue(e.getMessage().contains("1024 tokens"));
  }

  @Test
  void vllmsWordsForAModelWithoutTheApiAreUnsupportedToo() {
    GatewayError e = Adapters.of(Engine.VLLM).error(400, Buffer.buffer(
        "{\"object\":\"error\",\"message\":\"The model does not support Embeddings API\",\"type\":\"BadRequestError\",\"code\":400}"));
    assertEquals(Kind.UNSUPPORTED_ENDPOINT, e.kind());
    GatewayError route = Adapters.of(Engine.VLLM).error(404, Buffer.buffer("{\"detail\":\"Not Found\"}"));
    assertEquals("Not Found", route.getMessage(), "FastAPI's own 404 body is read");
    assertTrue(OpenAiAdapter.routeMissing(404, route.getMessage()), "a route the build lacks; the call decides by API");
    GatewayError model = Adapters.of(Engine.VLLM).error(404, Buffer.buffer(
        "{\"error\":{\"message\":\"The model `x` does not exist.\",\"type\":\"NotFoundError\",\"code\":404}}"));
    assertFalse(model.kind() == Kind.UNSUPPORTED_ENDPOINT, "an unknown model is the client's error");
  }

  @Test
  void aResponsesFailedEventIsReadFromTheResponseItEnds() {
    GatewayError e = Adapters.of(Engine.VLLM).error(500, Buffer.buffer("{\"type\":\"response.failed\",\"sequence_number\":9,"
        + "\"response\":{\"id\":\"resp_1\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"CUDA error\"}}}"));
    assertEquals(Kind.UPSTREAM_ERROR, e.kind());
    assertEquals("upstream error: CUDA error", e.getMessage(), "the engine's words, not only its status");
    GatewayError none = Adapters.of(Engine.VLLM).error(500, Buffer.buffer("{\"type\":\"response.failed\",\"response\":{\"error\":null}}"));
    assertEquals("upstream error: upstream answered HTTP 500", none.getMessage());
  }

  @Test
  void whoServesWhat() {
    BackendConfig vllm = new BackendConfig("v", "http://h:1", Engine.VLLM, "m", null);
    BackendConfig ik = new BackendConfig("i", "http://h:1", Engine.IKLLAMA, "m", null);
    BackendConfig llama = new BackendConfig("l", "http://h:1", Engine.LLAMACPP, "m", null);
    assertEquals(Support.NATIVE, Adapters.support(vllm, Api.MESSAGES));
    assertEquals(Support.NATIVE, Adapters.support(vllm, Api.RESPONSES));
    assertEquals(Support.TRANSLATED, Adapters.support(ik, Api.MESSAGES));
    assertEquals(Support.TRANSLATED, Adapters.support(ik, Api.RESPONSES));
    assertEquals(Support.NONE, Adapters.support(ik, Api.MESSAGES_COUNT_TOKENS));
    assertEquals(Support.NONE, Adapters.support(vllm, Api.EMBEDDINGS), "a generative model pools nothing unless declared");
    assertEquals(Support.NATIVE, Adapters.support(llama, Api.CHAT_INPUT_TOKENS));
    BackendConfig forced = new BackendConfig("v", "http://h:1", Engine.VLLM, "m", null, null, null,
        List.of(Api.EMBEDDINGS), List.of(Api.MESSAGES));
    assertEquals(Support.TRANSLATED, Adapters.support(forced, Api.MESSAGES), "translate wins over the engine's own");
    assertEquals(Support.NATIVE, Adapters.support(forced, Api.EMBEDDINGS));
    BackendConfig newerIk = new BackendConfig("i", "http://h:1", Engine.IKLLAMA, "m", null, null, null,
        List.of(Api.MESSAGES), List.of());
    assertEquals(Support.NATIVE, Adapters.support(newerIk, Api.MESSAGES), "a newer build declares what it gained");
  }

  @Test
  void onlyChatAndCompletionsAskForStreamUsage() {
    BackendConfig b = new BackendConfig("v", "http://h:1", Engine.VLLM, "served", null);
    RequestBody messages = new RequestBody(Buffer.buffer("{\"model\":\"c\",\"stream\":true}"),
        List.of(new RequestBody.Field("model", 1, 9, 12), new RequestBody.Field("stream", 13, 22, 26)), 0);
    String sent = Adapters.of(Engine.VLLM).requestBody(messages, b, true, Api.MESSAGES).toString();
    assertEquals("{\"model\":\"served\",\"stream\":true}", sent);
    String chat = Adapters.of(Engine.VLLM).requestBody(messages, b, true, Api.CHAT).toString();
    assertTrue(chat.contains("\"include_usage\":true"), chat);
  }
}
