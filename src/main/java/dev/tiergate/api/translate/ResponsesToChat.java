package dev.tiergate.api.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/**
 * An OpenAI Responses request as a chat completion request, for engines without {@code /v1/responses}:
 * {@code instructions} becomes the system message, {@code input} items messages (a developer message a
 * system one), {@code function_call} items the assistant's tool calls and {@code function_call_output}
 * items tool messages; function tools, tool choice, {@code max_output_tokens}, {@code text.format} and
 * {@code reasoning.effort} take their chat names. A request that needs a stored response
 * ({@code previous_response_id}) or a hosted tool cannot be served by a chat engine and is refused.
 */
public final class ResponsesToChat {
  private ResponsesToChat() {}

  public static Buffer request(Buffer responsesBody) {
    JsonNode in = Json.read(responsesBody);
    if (Json.text(in, "previous_response_id") != null) {
      throw MessagesToChat.unsupported("previous_response_id", "a reference to a stored response");
    }
    ObjectNode out = Json.object();
    copy(in, out, "model", "model");
    ArrayNode messages = out.putArray("messages");
    String instructions = Json.text(in, "instructions");
    if (instructions != null) {
      messages.addObject().put("role", "system").put("content", instructions);
    }
    JsonNode input = in.get("input");
    if (input != null && input.isTextual()) {
      messages.addObject().put("role", "user").put("content", input.asText());
    } else if (input != null && input.isArray()) {
      for (int i = 0; i < input.size(); i++) {
        item(input.get(i), "input[" + i + "]", messages);
      }
    }
    copy(in, out, "max_output_tokens", "max_tokens");
    for (String k : new String[] {"temperature", "top_p", "top_k", "seed", "parallel_tool_calls", "user", "stream",
        "chat_template_kwargs", "top_logprobs"}) {
      copy(in, out, k, k);
    }
    tools(in.get("tools"), out);
    toolChoice(in.get("tool_choice"), out);
    format(in.path("text").get("format"), out);
    String effort = Json.text(in.get("reasoning"), "effort");
    if (effort != null) {
      out.put("reasoning_effort", effort);
    }
    return Json.write(out);
  }

  private static void copy(JsonNode in, ObjectNode out, String from, String to) {
    JsonNode v = in.get(from);
    if (v != null && !v.isNull()) {
      out.set(to, v);
    }
  }

  private static void item(JsonNode it, String at, ArrayNode out) {
    String type = Json.text(it, "type");
    if (type == null) {
      type = "message";
    }
    switch (type) {
      case "message" -> message(it, at, out);
      case "function_call" -> {
        ObjectNode last = lastAssistant(out);
        ArrayNode calls = last.has("tool_calls") ? (ArrayNode) last.get("tool_calls") : last.putArray("tool_calls");
        ObjectNode call = calls.addObject().put("id", Json.text(it, "call_id")).put("type", "function");
        call.putObject("function").put("name", Json.text(it, "name")).put("arguments", Json.text(it, "arguments"));
      }
      case "function_call_output" -> out.addObject().put("role", "tool").put("tool_call_id", Json.text(it, "call_id"))
          .put("content", text(it.get("output")));
      // Reasoning the client echoes back: chat templates drop earlier turns' reasoning anyway.
      case "reasoning" -> { }
      default -> throw MessagesToChat.unsupported(at, "an item of type '" + type + "'");
    }
  }

  /** The assistant message the next tool call joins: the last one when it has no answer after it, else a new one. */
  private static ObjectNode lastAssistant(ArrayNode out) {
    if (!out.isEmpty()) {
      JsonNode last = out.get(out.size() - 1);
      if ("assistant".equals(Json.text(last, "role"))) {
        return (ObjectNode) last;
      }
    }
    return out.addObject().put("role", "assistant").putNull("content");
  }

  private static void message(JsonNode it, String at, ArrayNode out) {
    String role = Json.text(it, "role");
    String chatRole = "developer".equals(role) ? "system" : role;
    JsonNode content = it.get("content");
    if (content.isTextual() || "assistant".equals(chatRole)) {
      out.addObject().put("role", chatRole).put("content", text(content));
      return;
    }
    ArrayNode parts = Json.MAPPER.createArrayNode();
    boolean onlyText = true;
    for (int i = 0; i < content.size(); i++) {
      JsonNode p = content.get(i);
      String type = String.valueOf(Json.text(p, "type"));
      switch (type) {
        case "input_text", "output_text", "text" -> parts.addObject().put("type", "text").put("text", Json.text(p, "text"));
        case "input_image" -> {
          String url = Json.text(p, "image_url");
          if (url == null) {
            throw MessagesToChat.unsupported(at + ".content[" + i + "]", "an image by file id");
          }
          ObjectNode img = parts.addObject().put("type", "image_url");
          img.putObject("image_url").put("url", url);
          onlyText = false;
        }
        default -> throw MessagesToChat.unsupported(at + ".content[" + i + "]", "a content part of type '" + type + "'");
      }
    }
    ObjectNode msg = out.addObject().put("role", chatRole);
    if (onlyText) {
      msg.put("content", text(content));
    } else {
      msg.set("content", parts);
    }
  }

  /** A string, or the text of content parts joined by newlines. */
  static String text(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode p : content) {
      String t = Json.text(p, "text");
      if (t != null) {
        sb.append(sb.length() > 0 ? "\n" : "").append(t);
      }
    }
    return sb.toString();
  }

  private static void tools(JsonNode tools, ObjectNode out) {
    if (tools == null || !tools.isArray() || tools.isEmpty()) {
      return;
    }
    ArrayNode chat = out.putArray("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonNode t = tools.get(i);
      String type = Json.text(t, "type");
      if (!"function".equals(type)) {
        throw MessagesToChat.unsupported("tools[" + i + "]", "the hosted tool '" + type + "'");
      }
      ObjectNode fn = chat.addObject().put("type", "function").putObject("function");
      fn.put("name", Json.text(t, "name"));
      for (String k : new String[] {"description", "parameters", "strict"}) {
        if (t.hasNonNull(k)) {
          fn.set(k, t.get(k));
        }
      }
    }
  }

  private static void toolChoice(JsonNode c, ObjectNode out) {
    if (c == null || c.isNull()) {
      return;
    }
    if (c.isTextual()) {
      out.put("tool_choice", c.asText());
      return;
    }
    if (!"function".equals(Json.text(c, "type"))) {
      throw MessagesToChat.unsupported("tool_choice", "a choice of type '" + Json.text(c, "type") + "'");
    }
    ObjectNode named = out.putObject("tool_choice").put("type", "function");
    named.putObject("function").put("name", Json.text(c, "name"));
  }

  private static void format(JsonNode f, ObjectNode out) {
    String type = Json.text(f, "type");
    if (type == null || type.equals("text")) {
      return;
    }
    ObjectNode rf = out.putObject("response_format").put("type", type);
    if (type.equals("json_schema")) {
      ObjectNode js = rf.putObject("json_schema").put("name", Json.text(f, "name") == null ? "response" : Json.text(f, "name"));
      for (String k : new String[] {"schema", "strict", "description"}) {
        if (f.hasNonNull(k)) {
          js.set(k, f.get(k));
        }
      }
    }
  }
}
