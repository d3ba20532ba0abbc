package dev.tiergate.api.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.stream.EventNames;
import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;

/**
 * A chat completion as an OpenAI Responses answer. Streamed: {@code response.created} and
 * {@code response.in_progress} at the first chunk, one output item per run of reasoning, text or
 * tool call, each with the {@code output_index} / {@code content_index} the SDKs' stream helpers
 * accumulate by (openai-node {@code lib/responses/ResponseStream.ts}), and at {@code [DONE]}
 * {@code response.completed} (or {@code response.incomplete} when the budget ran out) carrying the
 * output and the engine's usage. The API repeats the whole output at the end, so the text is kept —
 * up to {@link #MAX_KEPT_CHARS}; beyond that the closing events carry it cut (the deltas were complete).
 */
public final class ChatToResponses extends ChatTranslator {
  /** What the closing events may repeat of the answer (the API's design, not ours, needs it kept). */
  static final int MAX_KEPT_CHARS = 4 << 20;

  private enum Kind { NONE, REASONING, MESSAGE, CALL }

  private final String model;
  private final long created = System.currentTimeMillis() / 1000;
  private final Usage usage = new Usage();
  private final ArrayNode output = Json.MAPPER.createArrayNode();
  private String id;
  private boolean started;
  private int sequence;
  private Kind kind = Kind.NONE;
  private ObjectNode item;
  private StringBuilder text;
  private int toolIndex = -1;
  private int kept;
  private String finish;

  public ChatToResponses(String model) {
    this.model = model;
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
    id = responseId(chunk == null ? null : Json.text(chunk, "id"));
    emit(out, EventNames.RESPONSE_CREATED, Json.object().set("response", response("in_progress", false)));
    emit(out, EventNames.RESPONSE_IN_PROGRESS, Json.object().set("response", response("in_progress", false)));
  }

  private void choice(Buffer out, JsonNode c) {
    JsonNode delta = c.get("delta");
    if (delta != null) {
      String reasoning = Json.text(delta, "reasoning_content") != null ? Json.text(delta, "reasoning_content")
          : Json.text(delta, "reasoning");
      if (reasoning != null && !reasoning.isEmpty()) {
        open(out, Kind.REASONING, null);
        keep(reasoning);
        emit(out, EventNames.REASONING_TEXT_DELTA, at().put("content_index", 0).put("delta", reasoning));
      }
      String content = Json.text(delta, "content");
      if (content != null && !content.isEmpty()) {
        open(out, Kind.MESSAGE, null);
        keep(content);
        ObjectNode ev = at().put("content_index", 0).put("delta", content);
        ev.putArray("logprobs");
        emit(out, EventNames.OUTPUT_TEXT_DELTA, ev);
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
    }
  }

  private void toolCall(Buffer out, JsonNode call) {
    int i = call.path("index").asInt(toolIndex < 0 ? 0 : toolIndex);
    JsonNode fn = call.get("function");
    String callId = Json.text(call, "id");
    if (kind != Kind.CALL || i != toolIndex || callId != null && !callId.equals(Json.text(item, "call_id"))) {
      toolIndex = i;
      open(out, Kind.CALL, Json.object().put("call_id", callId != null ? callId : Json.randomId("call_"))
          .put("name", Json.text(fn, "name") == null ? "" : Json.text(fn, "name")));
    }
    String args = Json.text(fn, "arguments");
    if (args != null && !args.isEmpty()) {
      keep(args);
      emit(out, EventNames.FUNCTION_ARGS_DELTA, at().put("delta", args));
    }
  }

  /** Keeps text for the closing events, up to the cap over the whole response. */
  private void keep(String s) {
    int room = MAX_KEPT_CHARS - kept;
    if (room > 0) {
      String k = s.length() <= room ? s : s.substring(0, room);
      text.append(k);
      kept += k.length();
    }
  }

  /** The item ids and index every delta event carries. */
  private ObjectNode at() {
    return Json.object().put("item_id", Json.text(item, "id")).put("output_index", output.size() - 1);
  }

  private void open(Buffer out, Kind k, ObjectNode call) {
    if (kind == k && k != Kind.CALL) {
      return;
    }
    done(out);
    kind = k;
    text = new StringBuilder();
    item = switch (k) {
      case REASONING -> {
        ObjectNode r = Json.object().put("id", Json.randomId("rs_")).put("type", "reasoning");
        r.putArray("summary");
        r.putArray("content").addObject().put("type", "reasoning_text").put("text", "");
        yield r;
      }
      case MESSAGE -> {
        ObjectNode m = Json.object().put("id", Json.randomId("msg_")).put("type", "message").put("status", "in_progress")
            .put("role", "assistant");
        m.putArray("content");
        yield m;
      }
      default -> Json.object().put("id", Json.randomId("fc_")).put("type", "function_call").put("status", "in_progress")
          .put("call_id", Json.text(call, "call_id")).put("name", Json.text(call, "name")).put("arguments", "");
    };
    output.add(item);
    ObjectNode added = Json.object().put("output_index", output.size() - 1);
    added.set("item", item.deepCopy());
    emit(out, EventNames.OUTPUT_ITEM_ADDED, added);
    if (k == Kind.MESSAGE) {
      ObjectNode part = at().put("content_index", 0);
      part.set("part", textPart(""));
      emit(out, EventNames.CONTENT_PART_ADDED, part);
    }
  }

  private static ObjectNode textPart(String t) {
    ObjectNode p = Json.object().put("type", "output_text").put("text", t);
    p.putArray("annotations");
    p.putArray("logprobs");
    return p;
  }

  /** Closes the open item: its done events, and the item as it ends up in the final output. */
  private void done(Buffer out) {
    if (kind == Kind.NONE) {
      return;
    }
    String t = text.toString();
    switch (kind) {
      case REASONING -> {
        emit(out, EventNames.REASONING_TEXT_DONE, at().put("content_index", 0).put("text", t));
        ((ObjectNode) item.get("content").get(0)).put("text", t);
      }
      case MESSAGE -> {
        emit(out, EventNames.OUTPUT_TEXT_DONE, at().put("content_index", 0).put("text", t));
        ObjectNode part = at().put("content_index", 0);
        part.set("part", textPart(t));
        emit(out, EventNames.CONTENT_PART_DONE, part);
        ((ArrayNode) item.get("content")).add(textPart(t));
        item.put("status", "completed");
      }
      default -> {
        emit(out, EventNames.FUNCTION_ARGS_DONE, at().put("arguments", t));
        item.put("arguments", t).put("status", "completed");
      }
    }
    ObjectNode doneEv = Json.object().put("output_index", output.size() - 1);
    doneEv.set("item", item);
    emit(out, EventNames.OUTPUT_ITEM_DONE, doneEv);
    kind = Kind.NONE;
  }

  private void close(Buffer out) {
    done(out);
    boolean incomplete = "length".equals(finish);
    String name = incomplete ? EventNames.RESPONSE_INCOMPLETE : EventNames.RESPONSE_COMPLETED;
    emit(out, name, Json.object().set("response", response(incomplete ? "incomplete" : "completed", true)));
  }

  private void emit(Buffer out, String name, ObjectNode data) {
    ObjectNode ev = Json.object().put("type", name);
    ev.setAll(data);
    ev.put("sequence_number", sequence++);
    Json.event(out, name, ev);
  }

  private ObjectNode response(String status, boolean end) {
    ObjectNode r = Json.object().put("id", id).put("object", "response").put("created_at", created).put("status", status);
    r.putNull("error");
    if ("incomplete".equals(status)) {
      r.putObject("incomplete_details").put("reason", "max_output_tokens");
    } else {
      r.putNull("incomplete_details");
    }
    r.put("model", model);
    r.set("output", end ? output : Json.MAPPER.createArrayNode());
    r.put("parallel_tool_calls", true).put("tool_choice", "auto");
    r.putArray("tools");
    if (end) {
      r.set("usage", usage());
    } else {
      r.putNull("usage");
    }
    return r;
  }

  private ObjectNode usage() {
    ObjectNode u = Json.object().put("input_tokens", usage.prompt());
    u.putObject("input_tokens_details").put("cached_tokens", Math.min(usage.cached, usage.prompt()));
    u.put("output_tokens", usage.completion());
    u.putObject("output_tokens_details").put("reasoning_tokens", Math.max(0, usage.reasoning));
    u.put("total_tokens", usage.prompt() + usage.completion());
    return u;
  }

  @Override
  public Buffer body(Buffer chatCompletion) {
    JsonNode chat = Json.readUpstream(chatCompletion);
    id = responseId(Json.text(chat, "id"));
    usage.read(chat.get("usage"));
    JsonNode choices = chat.get("choices");
    JsonNode c = choices != null && choices.size() > 0 ? choices.get(0) : Json.object();
    JsonNode m = c.path("message");
    Buffer ignored = Buffer.buffer();
    String reasoning = Json.text(m, "reasoning_content") != null ? Json.text(m, "reasoning_content") : Json.text(m, "reasoning");
    if (reasoning != null && !reasoning.isEmpty()) {
      open(ignored, Kind.REASONING, null);
      keep(reasoning);
    }
    String content = Json.text(m, "content");
    if (content != null && !content.isEmpty()) {
      open(ignored, Kind.MESSAGE, null);
      keep(content);
    }
    JsonNode calls = m.get("tool_calls");
    if (calls != null && calls.isArray()) {
      for (JsonNode call : calls) {
        open(ignored, Kind.CALL, Json.object().put("call_id", Json.text(call, "id"))
            .put("name", Json.text(call.get("function"), "name")));
        keep(String.valueOf(Json.text(call.get("function"), "arguments")));
      }
    }
    done(ignored);
    finish = Json.text(c, "finish_reason");
    return Json.write(response("length".equals(finish) ? "incomplete" : "completed", true));
  }

  private static String responseId(String chatId) {
    if (chatId == null || chatId.isEmpty()) {
      return Json.randomId("resp_");
    }
    return "resp_" + (chatId.startsWith("chatcmpl-") ? chatId.substring(9) : chatId);
  }
}
