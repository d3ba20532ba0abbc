package dev.tiergate.api.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.errors.GatewayError;
import io.vertx.core.buffer.Buffer;

/**
 * An Anthropic Messages request as a chat completion request, for engines without {@code /v1/messages}:
 * {@code system} becomes the system message, text and image blocks content parts, {@code tool_use}
 * blocks tool calls, each {@code tool_result} a tool message right after them, {@code thinking} the
 * assistant's reasoning, and the sampling fields, stop sequences, tool choice and the thinking switch
 * their chat names. The same mapping as vLLM's own ({@code vllm/entrypoints/anthropic/serving.py}).
 */
public final class MessagesToChat {
  private MessagesToChat() {}

  public static Buffer request(Buffer messagesBody) {
    JsonNode in = Json.read(messagesBody);
    ObjectNode out = Json.object();
    copy(in, out, "model", "model");
    ArrayNode messages = out.putArray("messages");
    String system = system(in.get("system"));
    if (system != null) {
      messages.addObject().put("role", "system").put("content", system);
    }
    JsonNode list = in.get("messages");
    for (int i = 0; i < list.size(); i++) {
      message(list.get(i), "messages[" + i + "]", messages);
    }
    copy(in, out, "max_tokens", "max_tokens");
    copy(in, out, "stop_sequences", "stop");
    copy(in, out, "temperature", "temperature");
    copy(in, out, "top_p", "top_p");
    copy(in, out, "top_k", "top_k");
    copy(in, out, "stream", "stream");
    copy(in, out, "chat_template_kwargs", "chat_template_kwargs");
    tools(in.get("tools"), out);
    toolChoice(in.get("tool_choice"), out);
    thinking(in.get("thinking"), out);
    String user = Json.text(in.get("metadata"), "user_id");
    if (user != null) {
      out.put("user", user);
    }
    return Json.write(out);
  }

  private static void copy(JsonNode in, ObjectNode out, String from, String to) {
    JsonNode v = in.get(from);
    if (v != null && !v.isNull()) {
      out.set(to, v);
    }
  }

  /** A string, or text blocks joined by newlines. */
  private static String system(JsonNode s) {
    if (s == null || s.isNull()) {
      return null;
    }
    if (s.isTextual()) {
      return s.asText();
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode b : s) {
      String t = Json.text(b, "text");
      if (t != null) {
        sb.append(sb.length() > 0 ? "\n" : "").append(t);
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  private static void message(JsonNode m, String at, ArrayNode out) {
    String role = Json.text(m, "role");
    String chatRole = "assistant".equals(role) ? "assistant" : "system".equals(role) ? "system" : "user";
    JsonNode content = m.get("content");
    if (content.isTextual()) {
      out.addObject().put("role", chatRole).put("content", content.asText());
    } else if (chatRole.equals("assistant")) {
      assistant(content, out);
    } else {
      user(content, chatRole, at, out);
    }
  }

  private static void assistant(JsonNode blocks, ArrayNode out) {
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    ArrayNode calls = null;
    for (JsonNode b : blocks) {
      switch (String.valueOf(Json.text(b, "type"))) {
        case "text" -> text.append(Json.text(b, "text"));
        case "thinking" -> reasoning.append(String.valueOf(Json.text(b, "thinking")));
        case "tool_use" -> {
          if (calls == null) {
            calls = Json.MAPPER.createArrayNode();
          }
          ObjectNode call = calls.addObject().put("id", Json.text(b, "id")).put("type", "function");
          JsonNode input = b.get("input");
          call.putObject("function").put("name", Json.text(b, "name"))
              .put("arguments", input == null || input.isNull() ? "{}" : Json.string(input));
        }
        default -> { } // redacted thinking and server-tool blocks mean nothing to a chat engine
      }
    }
    ObjectNode msg = out.addObject().put("role", "assistant");
    if (text.length() > 0 || calls == null) {
      msg.put("content", text.toString());
    } else {
      msg.putNull("content");
    }
    if (reasoning.length() > 0) {
      msg.put("reasoning_content", reasoning.toString());
    }
    if (calls != null) {
      msg.set("tool_calls", calls);
    }
  }

  /** Tool results first, as chat wants tool messages right after the assistant's calls; then the rest. */
  private static void user(JsonNode blocks, String role, String at, ArrayNode out) {
    ArrayNode parts = Json.MAPPER.createArrayNode();
    boolean onlyText = true;
    for (int i = 0; i < blocks.size(); i++) {
      JsonNode b = blocks.get(i);
      String type = String.valueOf(Json.text(b, "type"));
      switch (type) {
        case "tool_result" -> toolResult(b, out, parts);
        case "text" -> parts.addObject().put("type", "text").put("text", Json.text(b, "text"));
        case "image" -> {
          parts.add(image(b.get("source"), at + ".content[" + i + "]"));
          onlyText = false;
        }
        case "document" -> {
          JsonNode src = b.get("source");
          if (!"text".equals(Json.text(src, "type"))) {
            throw unsupported(at + ".content[" + i + "]", "a document that is not plain text");
          }
          parts.addObject().put("type", "text").put("text", Json.text(src, "data"));
        }
        default -> { } // thinking echoed back in a user turn, cache markers: nothing for the engine
      }
    }
    if (parts.isEmpty()) {
      return;
    }
    ObjectNode msg = out.addObject().put("role", role);
    if (onlyText) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode p : parts) {
        sb.append(sb.length() > 0 ? "\n" : "").append(p.get("text").asText());
      }
      msg.put("content", sb.toString());
    } else {
      msg.set("content", parts);
    }
  }

  private static void toolResult(JsonNode b, ArrayNode out, ArrayNode userParts) {
    JsonNode c = b.get("content");
    StringBuilder text = new StringBuilder();
    if (c != null && c.isTextual()) {
      text.append(c.asText());
    } else if (c != null && c.isArray()) {
      for (JsonNode p : c) {
        if ("text".equals(Json.text(p, "type"))) {
          text.append(text.length() > 0 ? "\n" : "").append(Json.text(p, "text"));
        } else if ("image".equals(Json.text(p, "type"))) {
          userParts.add(image(p.get("source"), "tool_result.content"));
        }
      }
    }
    if (b.path("is_error").asBoolean(false)) {
      text.insert(0, "Error: ");
    }
    out.addObject().put("role", "tool").put("tool_call_id", Json.text(b, "tool_use_id")).put("content", text.toString());
  }

  private static ObjectNode image(JsonNode source, String at) {
    String url;
    if ("url".equals(Json.text(source, "type"))) {
      url = Json.text(source, "url");
    } else if ("base64".equals(Json.text(source, "type"))) {
      String media = Json.text(source, "media_type");
      url = "data:" + (media == null ? "image/png" : media) + ";base64," + Json.text(source, "data");
    } else {
      throw unsupported(at, "an image source other than base64 or url");
    }
    ObjectNode part = Json.object().put("type", "image_url");
    part.putObject("image_url").put("url", url);
    return part;
  }

  private static void tools(JsonNode tools, ObjectNode out) {
    if (tools == null || !tools.isArray() || tools.isEmpty()) {
      return;
    }
    ArrayNode chat = out.putArray("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonNode t = tools.get(i);
      String type = Json.text(t, "type");
      if (type != null && !type.equals("custom")) {
        throw unsupported("tools[" + i + "]", "the server tool '" + type + "'");
      }
      ObjectNode fn = chat.addObject().put("type", "function").putObject("function");
      fn.put("name", Json.text(t, "name"));
      if (Json.text(t, "description") != null) {
        fn.put("description", Json.text(t, "description"));
      }
      fn.set("parameters", t.get("input_schema"));
    }
  }

  private static void toolChoice(JsonNode c, ObjectNode out) {
    if (c == null || c.isNull()) {
      return;
    }
    switch (String.valueOf(Json.text(c, "type"))) {
      case "any" -> out.put("tool_choice", "required");
      case "none" -> out.put("tool_choice", "none");
      case "tool" -> {
        ObjectNode named = out.putObject("tool_choice").put("type", "function");
        named.putObject("function").put("name", Json.text(c, "name"));
      }
      default -> out.put("tool_choice", "auto");
    }
    if (c.path("disable_parallel_tool_use").asBoolean(false)) {
      out.put("parallel_tool_calls", false);
    }
  }

  /** The engines' thinking switch is the chat template's {@code enable_thinking} (ENGINES.md). */
  private static void thinking(JsonNode t, ObjectNode out) {
    String type = t == null ? null : Json.text(t, "type");
    if (type == null) {
      return;
    }
    JsonNode existing = out.get("chat_template_kwargs");
    ObjectNode kwargs = existing instanceof ObjectNode o ? o.deepCopy() : Json.object();
    kwargs.put("enable_thinking", !type.equals("disabled"));
    out.set("chat_template_kwargs", kwargs);
  }

  static GatewayError unsupported(String at, String what) {
    return GatewayError.invalid("'" + at + "' holds " + what + ", which the engine serving this request cannot take: "
        + "its tier speaks chat, and the gateway translates this API to it.", at);
  }
}
