package dev.tiergate.api.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.testing.Wire;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Messages and Responses requests as chat, and chat answers (streamed and whole) back in each API. */
class TranslationTest {
  static JsonObject messagesToChat(String json) {
    return new JsonObject(MessagesToChat.request(Buffer.buffer(json)));
  }

  @Test
  void aMessagesConversationBecomesChat() {
    JsonObject chat = messagesToChat("""
        {"model":"claude","max_tokens":100,"stream":true,"stop_sequences":["END"],"temperature":0.2,"top_k":5,
         "system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Use tools."}],
         "metadata":{"user_id":"u-1"},
         "thinking":{"type":"enabled","budget_tokens":1024},
         "tool_choice":{"type":"any","disable_parallel_tool_use":true},
         "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object"}}],
         "messages":[
           {"role":"user","content":"Weather in Paris?"},
           {"role":"assistant","content":[{"type":"thinking","thinking":"call it","signature":"s"},
             {"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18C"}]},
             {"type":"text","text":"And tomorrow?"}]}]}
        """);
    JsonArray m = chat.getJsonArray("messages");
    assertEquals(new JsonObject().put("role", "system").put("content", "Be brief.\nUse tools."), m.getJsonObject(0));
    assertEquals(new JsonObject().put("role", "user").put("content", "Weather in Paris?"), m.getJsonObject(1));
    JsonObject assistant = m.getJsonObject(2);
    assertEquals("Checking.", assistant.getString("content"));
    assertEquals("call it", assistant.getString("reasoning_content"));
    JsonObject call = assistant.getJsonArray("tool_calls").getJsonObject(0);
    assertEquals("toolu_1", call.getString("id"));
    assertEquals(new JsonObject().put("city", "Paris"), new JsonObject(call.getJsonObject("function").getString("arguments")));
    assertEquals(new JsonObject().put("role", "tool").put("tool_call_id", "toolu_1").put("content", "18C"), m.getJsonObject(3),
        "the tool result comes right after the call");
    assertEquals(new JsonObject().put("role", "user").put("content", "And tomorrow?"), m.getJsonObject(4));
    assertEquals(new JsonArray().add("END"), chat.getJsonArray("stop"));
    assertEquals("required", chat.getString("tool_choice"), "any tool = required");
    assertFalse(chat.getBoolean("parallel_tool_calls"));
    assertTrue(chat.getJsonObject("chat_template_kwargs").getBoolean("enable_thinking"));
    assertEquals("get_weather", chat.getJsonArray("tools").getJsonObject(0).getJsonObject("function").getString("name"));
    assertEquals(new JsonObject().put("type", "object"),
        chat.getJsonArray("tools").getJsonObject(0).getJsonObject("function").getJsonObject("parameters"));
    assertEquals("u-1", chat.getString("user"));
    assertEquals(100, chat.getInteger("max_tokens"));
    assertEquals(5, chat.getInteger("top_k"));
    assertTrue(chat.getBoolean("stream"));
  }

  @Test
  void aNamedToolChoiceAndAnImageTranslate() {
    JsonObject chat = messagesToChat("""
        {"model":"m","max_tokens":5,"tool_choice":{"type":"tool","name":"f"},"thinking":{"type":"disabled"},
         "messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAA"}},
           {"type":"text","text":"what is it"}]}]}
        """);
    assertEquals(new JsonObject().put("type", "function").put("function", new JsonObject().put("name", "f")),
        chat.getJsonObject("tool_choice"));
    assertFalse(chat.getJsonObject("chat_template_kwargs").getBoolean("enable_thinking"));
    JsonArray parts = chat.getJsonArray("messages").getJsonObject(0).getJsonArray("content");
    assertEquals("data:image/jpeg;base64,AAA", parts.getJsonObject(0).getJsonObject("image_url").getString("url"));
    assertEquals("what is it", parts.getJsonObject(1).getString("text"));
  }

  @Test
  void aServerToolCannotBeTranslated() {
    GatewayError e = assertThrows(GatewayError.class, () -> messagesToChat(
        "{\"model\":\"m\",\"max_tokens\":5,\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}],"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
    assertEquals(400, e.status());
    assertEquals("tools[0]", e.param());
  }

  @Test
  void aResponsesConversationBecomesChat() {
    JsonObject chat = new JsonObject(ResponsesToChat.request(Buffer.buffer("""
        {"model":"m","instructions":"Be brief.","max_output_tokens":50,"reasoning":{"effort":"low"},
         "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"},"strict":true}},
         "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],
         "tool_choice":{"type":"function","name":"get_weather"},
         "input":[{"role":"developer","content":"Prefer metric."},
           {"role":"user","content":[{"type":"input_text","text":"Paris?"}]},
           {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"},
           {"type":"function_call_output","call_id":"call_1","output":"18C"}]}
        """)));
    JsonArray m = chat.getJsonArray("messages");
    assertEquals("system", m.getJsonObject(0).getString("role"));
    assertEquals("Be brief.", m.getJsonObject(0).getString("content"));
    assertEquals(new JsonObject().put("role", "system").put("content", "Prefer metric."), m.getJsonObject(1), "developer is system");
    assertEquals(new JsonObject().put("role", "user").put("content", "Paris?"), m.getJsonObject(2));
    assertEquals("call_1", m.getJsonObject(3).getJsonArray("tool_calls").getJsonObject(0).getString("id"));
    assertEquals(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "18C"), m.getJsonObject(4));
    assertEquals(50, chat.getInteger("max_tokens"));
    assertEquals("low", chat.getString("reasoning_effort"));
    assertEquals("json_schema", chat.getJsonObject("response_format").getString("type"));
    assertEquals("w", chat.getJsonObject("response_format").getJsonObject("json_schema").getString("name"));
    assertEquals("get_weather", chat.getJsonObject("tool_choice").getJsonObject("function").getString("name"));
  }

  static SseEvent chunk(String json) {
    return SseEvent.of(Buffer.buffer(json));
  }

  static final String HEAD = "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"model\":\"engine\",\"choices\":";

  static List<SseEvent> chatStream() {
    return List.of(
        chunk(HEAD + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"),
        chunk(HEAD + "[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}"),
        chunk(HEAD + "[{\"index\":0,\"delta\":{\"content\":\"Let me check.\"}}]}"),
        chunk(HEAD + "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":\"function\","
            + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]}"),
        chunk(HEAD + "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}}]}"),
        chunk(HEAD + "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]}"),
        chunk(HEAD + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}"),
        chunk(HEAD + "[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":9,\"prompt_tokens_details\":{\"cached_tokens\":10}}}"),
        chunk("[DONE]"));
  }

  static String translate(ChatTranslator t) {
    StringBuilder sb = new StringBuilder();
    for (SseEvent e : chatStream()) {
      Buffer b = t.event(e);
      if (b != null) {
        sb.append(b);
      }
    }
    return sb.toString();
  }

  @Test
  void aChatStreamBecomesMessagesEvents() {
    List<Wire.Named> ev = Wire.named(translate(new ChatToMessages("claude-x", List.of())));
    assertEquals(List.of("message_start", "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start",
        "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
        ev.stream().map(Wire.Named::event).toList());
    assertEquals("claude-x", ev.get(0).data().getJsonObject("message").getString("model"));
    assertEquals("msg_abc", ev.get(0).data().getJsonObject("message").getString("id"));
    assertEquals("thinking", ev.get(1).data().getJsonObject("content_block").getString("type"));
    assertEquals("hmm", ev.get(2).data().getJsonObject("delta").getString("thinking"));
    assertEquals("signature_delta", ev.get(3).data().getJsonObject("delta").getString("type"));
    assertEquals("Let me check.", ev.get(6).data().getJsonObject("delta").getString("text"));
    JsonObject tool = ev.get(8).data().getJsonObject("content_block");
    assertEquals(new JsonObject().put("type", "tool_use").put("id", "call_9").put("name", "get_weather").put("input", new JsonObject()),
        tool);
    assertEquals(2, ev.get(8).data().getInteger("index"), "blocks are numbered in order");
    assertEquals("{\"city\":\"Paris\"}", ev.get(9).data().getJsonObject("delta").getString("partial_json")
        + ev.get(10).data().getJsonObject("delta").getString("partial_json"));
    JsonObject delta = ev.get(12).data();
    assertEquals("tool_use", delta.getJsonObject("delta").getString("stop_reason"));
    assertEquals(new JsonObject().put("input_tokens", 20).put("output_tokens", 9).put("cache_read_input_tokens", 10),
        delta.getJsonObject("usage"), "Anthropic counts cached prompt tokens apart");
  }

  @Test
  void aMatchedStopSequenceIsNamed() {
    ChatToMessages t = new ChatToMessages("m", List.of("END"));
    String out = t.body(Buffer.buffer("{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        + "\"content\":\"done\"},\"finish_reason\":\"stop\",\"stop_reason\":\"END\"}],\"usage\":{\"prompt_tokens\":3,"
        + "\"completion_tokens\":1}}")).toString();
    JsonObject m = new JsonObject(out);
    assertEquals("stop_sequence", m.getString("stop_reason"));
    assertEquals("END", m.getString("stop_sequence"));
    assertEquals(new JsonArray().add(new JsonObject().put("type", "text").put("text", "done")), m.getJsonArray("content"));
  }

  @Test
  void aChatStreamBecomesResponsesEvents() {
    List<Wire.Named> ev = Wire.named(translate(new ChatToResponses("gpt-x")));
    List<String> names = ev.stream().map(Wire.Named::event).toList();
    assertEquals(List.of("response.created", "response.in_progress",
        "response.output_item.added", "response.reasoning_text.delta", "response.reasoning_text.done", "response.output_item.done",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done", "response.completed"), names);
    for (int i = 0; i < ev.size(); i++) {
      assertEquals(i, ev.get(i).data().getInteger("sequence_number"));
    }
    assertEquals(1, ev.get(8).data().getInteger("output_index"), "the text is the second output item");
    assertEquals(0, ev.get(8).data().getInteger("content_index"));
    JsonObject done = ev.get(ev.size() - 1).data().getJsonObject("response");
    assertEquals("gpt-x", done.getString("model"));
    assertEquals("completed", done.getString("status"));
    JsonArray output = done.getJsonArray("output");
    assertEquals("Let me check.", output.getJsonObject(1).getJsonArray("content").getJsonObject(0).getString("text"));
    JsonObject call = output.getJsonObject(2);
    assertEquals("function_call", call.getString("type"));
    assertEquals("call_9", call.getString("call_id"));
    assertEquals("{\"city\":\"Paris\"}", call.getString("arguments"));
    assertEquals(30, done.getJsonObject("usage").getInteger("input_tokens"), "Responses counts cached tokens inside input");
    assertEquals(10, done.getJsonObject("usage").getJsonObject("input_tokens_details").getInteger("cached_tokens"));
    assertEquals(39, done.getJsonObject("usage").getInteger("total_tokens"));
  }

  @Test
  void aBudgetThatRanOutIsAnIncompleteResponse() {
    String out = new ChatToResponses("m").body(Buffer.buffer("{\"id\":\"c\",\"choices\":[{\"index\":0,\"message\":"
        + "{\"role\":\"assistant\",\"content\":\"a b\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
        + "\"completion_tokens\":2}}")).toString();
    JsonObject r = new JsonObject(out);
    assertEquals("incomplete", r.getString("status"));
    assertEquals("max_output_tokens", r.getJsonObject("incomplete_details").getString("reason"));
    assertEquals("a b", r.getJsonArray("output").getJsonObject(0).getJsonArray("content").getJsonObject(0).getString("text"));
  }
}
