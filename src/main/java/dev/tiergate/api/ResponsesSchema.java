package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Set;

/**
 * OpenAI's Responses request: {@code instructions} and every {@code input} item (messages with their
 * content parts, function calls and their outputs, reasoning summaries) measured as prompt, the
 * fields engines parse with hard types checked, nothing built into a tree.
 */
final class ResponsesSchema {
  private static final Set<String> ROLES = Set.of("user", "assistant", "system", "developer");
  private static final String ROLES_LISTED = "'user', 'assistant', 'system', and 'developer'";
  private static final Set<String> CHOICES = Set.of("none", "auto", "required");
  private static final Set<String> FORMATS = Set.of("text", "json_object", "json_schema");

  private ResponsesSchema() {}

  /** {@code input}: a string (one user message) or an array of items; returns the number of items. */
  static int input(JsonWalk w, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      w.text();
      return 1;
    }
    w.array("input", v);
    int i = 0;
    JsonToken t;
    while ((t = w.next()) != JsonToken.END_ARRAY) {
      String at = "input[" + i++ + "]";
      w.object(at, t);
      item(w, at);
    }
    return i;
  }

  private static void item(JsonWalk w, String at) throws IOException {
    String type = null;
    String role = null;
    boolean content = false;
    boolean callId = false;
    boolean name = false;
    boolean arguments = false;
    boolean output = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken t = w.next();
      switch (field) {
        case "type" -> type = w.stringValue(at + ".type", t);
        case "role" -> role = w.oneOf(at + ".role", t, ROLES, ROLES_LISTED);
        case "content" -> {
          content(w, at + ".content", t);
          content = true;
        }
        case "call_id" -> {
          w.string(at + ".call_id", t, false);
          callId = true;
        }
        case "name" -> {
          w.string(at + ".name", t, true);
          name = true;
        }
        case "arguments" -> {
          w.string(at + ".arguments", t, true);
          arguments = true;
        }
        case "output" -> {
          output(w, at + ".output", t);
          output = true;
        }
        case "id", "status", "encrypted_content" -> w.skip();
        default -> w.countStrings();
      }
    }
    String kind = type != null ? type : role != null ? "message" : null;
    if (kind == null) {
      throw JsonWalk.missing(at + ".type");
    }
    switch (kind) {
      case "message" -> {
        require(role != null, at + ".role");
        require(content, at + ".content");
      }
      case "function_call" -> {
        require(callId, at + ".call_id");
        require(name, at + ".name");
        require(arguments, at + ".arguments");
      }
      case "function_call_output" -> {
        require(callId, at + ".call_id");
        require(output, at + ".output");
      }
      default -> { }
    }
  }

  /** A message's content: a string or parts ({@code input_text}, {@code output_text}, {@code input_image}, …). */
  private static void content(JsonWalk w, String path, JsonToken t) throws IOException {
    w.textOrObjects(path, t, "a string or an array of content parts", ResponsesSchema::part);
  }

  private static void part(JsonWalk w, String at) throws IOException {
    String type = null;
    boolean text = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken t = w.next();
      switch (field) {
        case "type" -> type = w.stringValue(at + ".type", t);
        case "text" -> {
          w.string(at + ".text", t, true);
          text = true;
        }
        case "image_url", "file_id", "file_data" -> {
          w.media = true;
          w.skip();
        }
        // Annotations and the like are not prompt text.
        default -> w.skip();
      }
    }
    require(type != null, at + ".type");
    if (type.equals("input_text") || type.equals("output_text")) {
      require(text, at + ".text");
    }
  }

  /** A function call's output: a string, or content parts. */
  private static void output(JsonWalk w, String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      w.text();
    } else {
      content(w, path, t);
    }
  }

  /** {@code tools}: function tools need a name; hosted tools only a type. Schemas count at their raw size. */
  static boolean tools(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return false;
    }
    w.array("tools", t);
    long start = w.p.currentTokenLocation().getByteOffset();
    int i = 0;
    JsonToken e;
    while ((e = w.next()) != JsonToken.END_ARRAY) {
      String at = "tools[" + i++ + "]";
      w.object(at, e);
      String type = null;
      boolean name = false;
      while (w.next() == JsonToken.FIELD_NAME) {
        String field = w.p.currentName();
        JsonToken f = w.next();
        switch (field) {
          case "type" -> type = w.stringValue(at + ".type", f);
          case "name" -> {
            w.string(at + ".name", f, false);
            name = true;
          }
          case "description" -> w.optionalString(at + ".description", f, false);
          case "parameters" -> {
            if (f != JsonToken.VALUE_NULL) {
              w.object(at + ".parameters", f);
              w.skip();
            }
          }
          case "strict" -> w.optionalBool(at + ".strict", f);
          default -> w.skip();
        }
      }
      require(type != null, at + ".type");
      if (type.equals("function")) {
        require(name, at + ".name");
      }
    }
    w.raw(w.p.currentLocation().getByteOffset() - start);
    return i > 0;
  }

  /** {@code "none" | "auto" | "required" | {type, name?}}. */
  static void toolChoice(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    if (t == JsonToken.VALUE_STRING) {
      w.oneOf("tool_choice", t, CHOICES, "'none', 'auto', 'required'");
      return;
    }
    w.object("tool_choice", t);
    boolean type = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken f = w.next();
      switch (field) {
        case "type" -> {
          w.string("tool_choice.type", f, false);
          type = true;
        }
        case "name" -> w.string("tool_choice.name", f, false);
        default -> w.skip();
      }
    }
    require(type, "tool_choice.type");
  }

  /** {@code text: {format: {type: text | json_object | json_schema, …}}}. */
  static void text(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.object("text", t);
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken f = w.next();
      if (field.equals("format") && f != JsonToken.VALUE_NULL) {
        w.object("text.format", f);
        boolean type = false;
        while (w.next() == JsonToken.FIELD_NAME) {
          String k = w.p.currentName();
          JsonToken kv = w.next();
          if (k.equals("type")) {
            w.oneOf("text.format.type", kv, FORMATS, "'text', 'json_object', 'json_schema'");
            type = true;
          } else {
            w.skip();
          }
        }
        require(type, "text.format.type");
      } else {
        w.skip();
      }
    }
  }

  /** {@code reasoning: {effort?, summary?}}. */
  static void reasoning(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.object("reasoning", t);
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken f = w.next();
      if (field.equals("effort") || field.equals("summary")) {
        w.optionalString("reasoning." + field, f, false);
      } else {
        w.skip();
      }
    }
  }

  private static void require(boolean present, String path) {
    if (!present) {
      throw JsonWalk.missing(path);
    }
  }
}
