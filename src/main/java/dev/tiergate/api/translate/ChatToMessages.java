package dev.tiergate.api.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.stream.EventNames;
import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * A chat completion as Anthropic's Messages answer. Streamed: {@code message_start} at the first
 * chunk, one content block per run of reasoning ({@code thinking}), text or tool call
 * ({@code tool_use} with {@code input_json_delta}s), and at {@code [DONE]} the stop reason and the
 * engine's usage in {@code message_delta}, then {@code message_stop}. Input tokens follow Anthropic's
 * meaning: without the ones read from the prefix cache, which go to {@code cache_read_input_tokens}.
 */
public final class ChatToMessages extends ChatTranslator {
  private enum Block { NONE, THINKING, TEXT, TOOL }

  private final String model;
  private final List<String> stopSequences;
  private final Usage usage = new Usage();
  private String id;
  private boolean started;
  private Block block = Block.NONE;
  private int index = -1;
  private int toolIndex = -1;
  private String toolId;
  private String finish;
  private String matchedStop;

  /** @param model the client's model name, echoed back */
  public ChatToMessages(String model, List<String> stopSequences) {
    this.model = model;
    this.stopSequences = stopSequences;
  }

  @Override
  public Buffer event(SseEvent e) {
    Buffer out = Buffer.buffer(256);
    if (e.is(SseEvent.DONE)) {
      start(out, null);
      close(out);
      return out;
    }
    JsonNode chunk = Json.readUpstream(e.data());
    start(out, chunk);
    usage.read(chunk.get("usage"));
    JsonNode choices = chunk.get("choices");
    if (choices != null && choices.size() > 0) {
      choice(out, choices.get(0));
    }
    return out.length() == 0 ? null : out;
  }

  private void start(Buffer out, JsonNode chunk) {
    if (started) {
      return;
    }
    started = true;
    id = messageId(chunk == null ? null : Json.text(chunk, "id"));
    ObjectNode msg = Json.object().put("id", id).put("type", "message").put("role", "assistant");
    msg.putArray("content");
    msg.put("model", model).putNull("stop_reason").putNull("stop_sequence");
    // Chat streams report usage only at the end: the real counts follow in message_delta.
    msg.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
    ObjectNode ev = Json.object().put("type", EventNames.MESSAGE_START);
    ev.set("message", msg);
    Json.event(out, EventNames.MESSAGE_START, ev);
  }

  private void choice(Buffer out, JsonNode c) {
    JsonNode delta = c.get("delta");
    if (delta != null) {
      String reasoning = Json.text(delta, "reasoning_content");
      if (reasoning == null) {
        reasoning = Json.text(delta, "reasoning");
      }
      if (reasoning != null && !reasoning.isEmpty()) {
        open(out, Block.THINKING, null);
        delta(out, Json.object().put("type", "thinking_delta").put("thinking", reasoning));
      }
      String text = Json.text(delta, "content");
      if (text != null && !text.isEmpty()) {
        open(out, Block.TEXT, null);
        delta(out, Json.object().put("type", "text_delta").put("text", text));
      }
      JsonNode calls = delta.get("tool_calls");
      if (calls != null && calls.isArray()) {
        for (JsonNode call : calls) {
          toolCall(out, call);
        }
      }
    }
    String f = Json.text(c, "finish_reason");
    if (f != null) {
      finish = f;
      stopped(c);
    }
  }

  /** A new index (or a new id) starts a tool_use block; later pieces of its arguments are input_json deltas. */
  private void toolCall(Buffer out, JsonNode call) {
    int i = call.path("index").asInt(toolIndex < 0 ? 0 : toolIndex);
    JsonNode fn = call.get("function");
    String name = Json.text(fn, "name");
    String callId = Json.text(call, "id");
    if (block != Block.TOOL || i != toolIndex || callId != null && !callId.equals(toolId)) {
      toolIndex = i;
      toolId = callId != null ? callId : Json.randomId("toolu_");
      ObjectNode b = Json.object().put("type", "tool_use").put("id", toolId).put("name", name == null ? "" : name);
      b.putObject("input");
      open(out, Block.TOOL, b);
    }
    String args = Json.text(fn, "arguments");
    if (args != null && !args.isEmpty()) {
      delta(out, Json.object().put("type", "input_json_delta").put("partial_json", args));
    }
  }

  /** vLLM names the matched stop string in {@code stop_reason}, SGLang in {@code matched_stop}. */
  private void stopped(JsonNode c) {
    for (String k : new String[] {"stop_reason", "matched_stop"}) {
      String s = Json.text(c, k);
      if (s != null && stopSequences.contains(s)) {
        matchedStop = s;
      }
    }
  }

  private void open(Buffer out, Block kind, ObjectNode toolBlock) {
    if (block == kind && kind != Block.TOOL) {
      return;
    }
    stop(out);
    block = kind;
    index++;
    ObjectNode ev = Json.object().put("type", EventNames.CONTENT_BLOCK_START).put("index", index);
    ObjectNode cb = switch (kind) {
      case THINKING -> Json.object().put("type", "thinking").put("thinking", "");
      case TEXT -> Json.object().put("type", "text").put("text", "");
      default -> toolBlock;
    };
    ev.set("content_block", cb);
    Json.event(out, EventNames.CONTENT_BLOCK_START, ev);
  }

  private void delta(Buffer out, ObjectNode delta) {
    ObjectNode ev = Json.object().put("type", EventNames.CONTENT_BLOCK_DELTA).put("index", index);
    ev.set("delta", delta);
    Json.event(out, EventNames.CONTENT_BLOCK_DELTA, ev);
  }

  private void stop(Buffer out) {
    if (block == Block.NONE) {
      return;
    }
    if (block == Block.THINKING) {
      // Clients that send thinking back expect a signature; an open model's reasoning has none to verify.
      delta(out, Json.object().put("type", "signature_delta").put("signature", ""));
    }
    Json.event(out, EventNames.CONTENT_BLOCK_STOP, Json.object().put("type", EventNames.CONTENT_BLOCK_STOP).put("index", index));
    block = Block.NONE;
  }

  private void close(Buffer out) {
    stop(out);
    ObjectNode ev = Json.object().put("type", EventNames.MESSAGE_DELTA);
    ObjectNode d = ev.putObject("delta").put("stop_reason", stopReason());
    if (matchedStop != null) {
      d.put("stop_sequence", matchedStop);
    } else {
      d.putNull("stop_sequence");
    }
    ev.set("usage", usage());
    Json.event(out, EventNames.MESSAGE_DELTA, ev);
    Json.event(out, EventNames.MESSAGE_STOP, Json.object().put("type", EventNames.MESSAGE_STOP));
  }

  private ObjectNode usage() {
    long cached = Math.min(usage.cached, usage.prompt());
    ObjectNode u = Json.object().put("input_tokens", usage.prompt() - cached).put("output_tokens", usage.completion());
    if (cached > 0) {
      u.put("cache_read_input_tokens", cached);
    }
    return u;
  }

  private String stopReason() {
    if (finish == null) {
      return "end_turn";
    }
    return switch (finish) {
      case "length" -> "max_tokens";
      case "tool_calls", "function_call" -> "tool_use";
      case "stop" -> matchedStop != null ? "stop_sequence" : "end_turn";
      default -> "end_turn";
    };
  }

  @Override
  public Buffer body(Buffer chatCompletion) {
    JsonNode chat = Json.readUpstream(chatCompletion);
    usage.read(chat.get("usage"));
    ObjectNode out = Json.object().put("id", messageId(Json.text(chat, "id"))).put("type", "message").put("role", "assistant");
    out.put("model", model);
    ArrayNode content = out.putArray("content");
    JsonNode choices = chat.get("choices");
    JsonNode c = choices != null && choices.size() > 0 ? choices.get(0) : Json.object();
    JsonNode m = c.path("message");
    String reasoning = Json.text(m, "reasoning_content") != null ? Json.text(m, "reasoning_content") : Json.text(m, "reasoning");
    if (reasoning != null && !reasoning.isEmpty()) {
      content.addObject().put("type", "thinking").put("thinking", reasoning).put("signature", "");
    }
    String text = Json.text(m, "content");
    if (text != null && !text.isEmpty()) {
      content.addObject().put("type", "text").put("text", text);
    }
    JsonNode calls = m.get("tool_calls");
    if (calls != null && calls.isArray()) {
      for (JsonNode call : calls) {
        ObjectNode b = content.addObject().put("type", "tool_use")
            .put("id", Json.text(call, "id") != null ? Json.text(call, "id") : Json.randomId("toolu_"))
            .put("name", Json.text(call.get("function"), "name"));
        b.set("input", arguments(Json.text(call.get("function"), "arguments")));
      }
    }
    finish = Json.text(c, "finish_reason");
    stopped(c);
    out.put("stop_reason", stopReason());
    if (matchedStop != null) {
      out.put("stop_sequence", matchedStop);
    } else {
      out.putNull("stop_sequence");
    }
    out.set("usage", usage());
    return Json.write(out);
  }

  /** Tool arguments are JSON text in chat and an object in Messages; text that is not an object is kept as such. */
  static JsonNode arguments(String raw) {
    if (raw == null || raw.isBlank()) {
      return Json.object();
    }
    try {
      JsonNode n = Json.MAPPER.readTree(raw);
      return n.isObject() ? n : Json.object().set("value", n);
    } catch (java.io.IOException e) {
      return Json.object().put("arguments", raw);
    }
  }

  private static String messageId(String chatId) {
    if (chatId == null || chatId.isEmpty()) {
      return Json.randomId("msg_");
    }
    return "msg_" + (chatId.startsWith("chatcmpl-") ? chatId.substring(9) : chatId);
  }
}
