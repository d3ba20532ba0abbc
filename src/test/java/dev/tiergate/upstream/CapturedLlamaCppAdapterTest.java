package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.Engine;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.testing.Transcript;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The llama.cpp and ik_llama.cpp adapters on a real llama.cpp server's answers
 * (engine-transcripts): its error envelopes become the right {@link GatewayError}, and ik_llama's
 * finish-reason fix works on the real stream shape.
 */
class CapturedLlamaCppAdapterTest {
  static final EngineAdapter LLAMA = Adapters.of(Engine.LLAMACPP);
  static final EngineAdapter IK = Adapters.of(Engine.IKLLAMA);

  static GatewayError error(EngineAdapter adapter, String capture) {
    Transcript t = Transcript.llamacpp(capture);
    return adapter.error(t.status(), Buffer.buffer(t.body()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"08a_chat_prompt_6k_nonstream", "08b_chat_prompt_6k_stream", "08c_completions_prompt_6k",
      "08d_completions_prompt_2k"})
  void aPromptOverTheContextIsContextLengthExceeded(String capture) {
    for (EngineAdapter adapter : List.of(LLAMA, IK)) {
      GatewayError e = error(adapter, capture);
      assertEquals(Kind.CONTEXT_LENGTH_EXCEEDED, e.kind(), e.getMessage());
      assertEquals(400, e.status());
      assertEquals("context_length_exceeded", e.code());
      assertEquals("messages", e.param());
      assertFalse(e.retryable(), "another backend of the same model would refuse it too");
      assertTrue(e.getMessage().contains("exceeds the available context size (1024 tokens)"), "the engine's words: " + e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"09b_missing_messages", "15e_max_tokens_string"})
  void an400IsTheClientsErrorWithTheEnginesWords(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    GatewayError e = error(LLAMA, capture);
    assertEquals(Kind.UPSTREAM_CLIENT_ERROR, e.kind());
    assertEquals(400, e.status());
    assertFalse(e.retryable());
    String said = new JsonObject(t.bodyText()).getJsonObject("error").getString("message");
    assertEquals(said, e.getMessage());
  }

  @Test
  void a404KeepsItsStatus() {
    GatewayError e = error(LLAMA, "09c_unknown_route");
    assertEquals(404, e.status());
    assertEquals("File Not Found", e.getMessage());
    assertFalse(e.retryable());
  }

  /**
   * llama.cpp answers a body with a wrong nested type (a boolean role, a number as a text part, a
   * null tool_call_id) with 500 "Failed to parse messages". The request, not the engine, is at
   * fault: retrying it elsewhere fails the same way and would count against healthy backends.
   */
  @ParameterizedTest
  @ValueSource(strings = {"15a_bad_role_type", "15b_bad_content_part_text", "15c_null_tool_call_id"})
  void aBodyTheEngineCannotParseIsTheClientsError(String capture) {
    for (EngineAdapter adapter : List.of(LLAMA, IK)) {
      GatewayError e = error(adapter, capture);
      assertEquals(4, e.status() / 100, "a 400-class status, not " + e.status() + " " + e.kind());
      assertEquals(4, e.kind().status / 100, "a client-error kind, not " + e.kind());
      assertFalse(e.retryable(), "not retried on another backend");
      assertTrue(e.getMessage().contains("Failed to parse messages"), "the engine's words: " + e.getMessage());
    }
  }

  static List<String> finishReasons(List<Buffer> fixed) {
    List<String> out = new ArrayList<>();
    for (Buffer b : fixed) {
      String s = b.toString();
      if (!s.equals("[DONE]")) {
        JsonObject o = new JsonObject(s);
        if (!o.getJsonArray("choices").isEmpty() && o.getJsonArray("choices").getJsonObject(0).getString("finish_reason") != null) {
          out.add(o.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
        }
      }
    }
    return out;
  }

  static List<Buffer> fix(EngineAdapter adapter, String capture, int maxTokens) {
    ResponseFixer fixer = adapter.fixer(maxTokens);
    List<Buffer> out = new ArrayList<>();
    for (SseEvent e : Transcript.llamacpp(capture).events()) {
      out.add(fixer.event(e));
    }
    return out;
  }

  @Test
  void ikLlamasStopAtTheBudgetBecomesLengthOnTheRealStreamShape() {
    // 06c stopped on its own with max_tokens 600: 116 content chunks, and usage counts 117 tokens
    // because the end-of-sequence token is generated too. A real stop stays a stop.
    assertEquals(List.of("stop"), finishReasons(fix(IK, "06c_chat_stream_long", 600)));
    // Had the budget been 116, all of it went to text: ik_llama's "stop" would have meant "length".
    assertEquals(List.of("length"), finishReasons(fix(IK, "06c_chat_stream_long", 116)));
    // With a budget of 117 the last token was the end of sequence: still a real stop. (So a stream
    // is judged by its output events, not by usage's completion_tokens, which counts the EOS.)
    assertEquals(List.of("stop"), finishReasons(fix(IK, "06c_chat_stream_long", 117)));
    assertEquals(List.of("stop"), finishReasons(fix(LLAMA, "06c_chat_stream_long", 116)), "llama.cpp needs no fix");
  }

  @Test
  void everyOtherEventPassesTheFixersUntouched() {
    List<SseEvent> events = Transcript.llamacpp("06a_chat_stream_usage").events();
    List<Buffer> fixed = fix(IK, "06a_chat_stream_usage", 12);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(events.get(i).data().toString(), fixed.get(i).toString(), "event " + i);
    }
  }
}
