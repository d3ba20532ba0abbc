package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tiergate.api.Endpoint;
import dev.tiergate.api.FactsParser;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class BodyEditorTest {
  static RequestBody body(String json) {
    return new FactsParser(4).parse(Endpoint.CHAT, Buffer.buffer(json)).body();
  }

  static JsonObject send(Engine engine, String json, boolean stream) {
    BackendConfig b = new BackendConfig("b", "http://h:1", engine, "served-model", null);
    return new JsonObject(Adapters.of(engine).requestBody(body(json), b, stream));
  }

  static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  @Test
  void rewritesTheModelAndAsksForUsageInStreams() {
    JsonObject out = send(Engine.VLLM, "{\"model\":\"tiergate/max\"," + MSG + ",\"stream\":true,"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"chat_template_kwargs\":{\"enable_thinking\":false}}", true);
    assertEquals("served-model", out.getString("model"));
    assertEquals(true, out.getJsonObject("stream_options").getBoolean("include_usage"));
    assertEquals(false, out.getJsonObject("chat_template_kwargs").getBoolean("enable_thinking"));
    assertEquals("function", out.getJsonArray("tools").getJsonObject(0).getString("type"));
  }

  @Test
  void keepsOtherStreamOptions() {
    JsonObject out = send(Engine.SGLANG, "{" + MSG + ",\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":false}}", true);
    assertEquals(new JsonObject().put("continuous_usage_stats", false).put("include_usage", true), out.getJsonObject("stream_options"));
    assertEquals("served-model", out.getString("model"));
  }

  @Test
  void nonStreamBodyWithTheServedNameIsSentAsReceived() {
    RequestBody b = body("{\"model\":\"served-model\"," + MSG + "}");
    BackendConfig backend = new BackendConfig("b", "http://h:1", Engine.VLLM, "served-model", null);
    assertSame(b.bytes(), Adapters.of(Engine.VLLM).requestBody(b, backend, false));
  }

  @Test
  void translatesRepetitionPenaltyPerEngine() {
    assertEquals(1.1, send(Engine.LLAMACPP, "{" + MSG + ",\"repetition_penalty\":1.1}", false).getDouble("repeat_penalty"));
    assertEquals(1.2, send(Engine.VLLM, "{" + MSG + ",\"repeat_penalty\":1.2}", false).getDouble("repetition_penalty"));
  }

  @Test
  void ikLlamaGetsOneMaxTokensFieldWithOpenAiPrecedence() {
    JsonObject out = send(Engine.IKLLAMA, "{" + MSG + ",\"max_tokens\":10,\"max_completion_tokens\":20}", false);
    assertEquals(20, out.getInteger("max_tokens"));
    assertEquals(null, out.getValue("max_completion_tokens"));
  }

  @Test
  void whitespaceAndOddLayoutsSurvivePatching() {
    JsonObject out = send(Engine.VLLM,
        " {\n \"messages\" : [ {\"role\":\"user\",\"content\":\"a,b}\"} ] ,\n \"model\" : null , \"temperature\" : 0.5 }\n", true);
    assertEquals("served-model", out.getString("model"));
    assertEquals(0.5, out.getDouble("temperature"));
    assertEquals("a,b}", out.getJsonArray("messages").getJsonObject(0).getString("content"));
  }
}
