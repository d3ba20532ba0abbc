package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonToken;
import dev.tiergate.errors.GatewayError;
import java.io.IOException;
import java.util.Set;

/**
 * The parts of the chat schema that engines parse with hard types: messages (roles, content parts,
 * tool calls and their ids), tools, tool_choice, response_format. llama.cpp answers a wrong nested
 * type with HTTP 500 ("Failed to parse messages"), which would look like a broken engine; checked
 * here, it is the client's 400 naming the field, and no engine ever sees it.
 */
final class ChatSchema {
  static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer", "function");
  private static final String ROLES_LISTED = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'";
  private static final Set<String> TOOL_CHOICES = Set.of("none", "auto", "required");
  private static final Set<String> FORMAT_TYPES = Set.of("text", "json_object", "json_schema", "regex", "grammar",
      "structural_tag");

  private ChatSchema() {}

  /** Walks {@code messages}; returns how many there were. */
  static int messages(JsonWalk w, JsonToken v) throws IOException {
    w.array("messages", v);
    int i = 0;
    JsonToken t;
    while ((t = w.next()) != JsonToken.END_ARRAY) {
      String at = "messages[" + i + "]";
      w.object(at, t);
      message(w, at);
      i++;
    }
    return i;
  }

  private static void message(JsonWalk w, String at) throws IOException {
    String role = null;
    JsonToken content = null;
    boolean hasToolCallId = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String name = w.p.currentName();
      JsonToken t = w.next();
      String path = at + "." + name;
      switch (name) {
        case "role" -> role = w.oneOf(path, t, ROLES, ROLES_LISTED);
        case "content" -> content = content(w, path, t);
        case "name" -> w.optionalString(path, t, true);
        case "tool_call_id" -> {
          w.string(path, t, false);
          hasToolCallId = true;
        }
        case "tool_calls" -> toolCalls(w, path, t);
        case "function_call" -> functionCall(w, path, t);
        case "reasoning_content", "reasoning", "refusal" -> w.optionalString(path, t, true);
        default -> w.countStrings();
      }
    }
    if (role == null) {
      throw JsonWalk.missing(at + ".role");
    }
    boolean mayOmitContent = role.equals("assistant") || role.equals("function");
    if (!mayOmitContent && (content == null || content == JsonToken.VALUE_NULL)) {
      throw content == null ? JsonWalk.missing(at + ".content")
          : GatewayError.invalid("Invalid value for '" + at + ".content': a " + role + " message needs content.", at + ".content");
    }
    if (role.equals("tool") && !hasToolCallId) {
      throw JsonWalk.missing(at + ".tool_call_id");
    }
  }

  /** A string, null, or an array of content parts; returns the token kind it was. */
  private static JsonToken content(JsonWalk w, String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      w.text();
    } else if (t == JsonToken.START_ARRAY) {
      int i = 0;
      JsonToken e;
      while ((e = w.next()) != JsonToken.END_ARRAY) {
        String at = path + "[" + i++ + "]";
        w.object(at, e);
        part(w, at);
      }
    } else if (t != JsonToken.VALUE_NULL) {
      throw JsonWalk.typeError(path, "a string or an array of content parts", t);
    }
    return t;
  }

  /** One content part. Its {@code type} may come after its payload, so kinds are checked at the end. */
  private static void part(JsonWalk w, String at) throws IOException {
    String type = null;
    boolean hasText = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String name = w.p.currentName();
      JsonToken t = w.next();
      switch (name) {
        case "type" -> type = w.stringValue(at + ".type", t);
        case "text" -> {
          w.string(at + ".text", t, true);
          hasText = true;
        }
        case "refusal" -> w.optionalString(at + ".refusal", t, true);
        case "image_url" -> {
          w.media = true;
          if (t != JsonToken.VALUE_STRING) {
            w.object(at + ".image_url", t);
            imageUrl(w, at + ".image_url");
          }
        }
        // Media payloads (base64 audio, files, video) are not prompt text.
        default -> {
          w.media |= name.equals("input_audio") || name.equals("file") || name.equals("video_url");
          w.skip();
        }
      }
    }
    if (type == null) {
      throw JsonWalk.missing(at + ".type");
    }
    if (type.equals("text") && !hasText) {
      throw JsonWalk.missing(at + ".text");
    }
  }

  private static void imageUrl(JsonWalk w, String at) throws IOException {
    boolean url = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String name = w.p.currentName();
      JsonToken t = w.next();
      if (name.equals("url")) {
        w.string(at + ".url", t, false);
        url = true;
      } else if (name.equals("detail")) {
        w.optionalString(at + ".detail", t, false);
      } else {
        w.skip();
      }
    }
    if (!url) {
      throw JsonWalk.missing(at + ".url");
    }
  }

  private static void toolCalls(JsonWalk w, String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.array(path, t);
    int i = 0;
    JsonToken e;
    while ((e = w.next()) != JsonToken.END_ARRAY) {
      String at = path + "[" + i++ + "]";
      w.object(at, e);
      boolean function = false;
      while (w.next() == JsonToken.FIELD_NAME) {
        String name = w.p.currentName();
        JsonToken v = w.next();
        switch (name) {
          case "id" -> w.string(at + ".id", v, false);
          case "type" -> w.string(at + ".type", v, false);
          case "function" -> {
            functionCall(w, at + ".function", v);
            function = true;
          }
          default -> w.skip();
        }
      }
      if (!function) {
        throw JsonWalk.missing(at + ".function");
      }
    }
  }

  /** {@code {name, arguments}}: both strings (arguments is JSON text the model wrote). */
  private static void functionCall(JsonWalk w, String at, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.object(at, t);
    boolean name = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken v = w.next();
      switch (field) {
        case "name" -> {
          w.string(at + ".name", v, true);
          name = true;
        }
        case "arguments" -> w.string(at + ".arguments", v, true);
        default -> w.skip();
      }
    }
    if (!name) {
      throw JsonWalk.missing(at + ".name");
    }
  }

  /** {@code tools} (or legacy {@code functions}); returns whether any tool was given. */
  static boolean tools(JsonWalk w, String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return false;
    }
    w.array(path, t);
    long start = w.p.currentTokenLocation().getByteOffset();
    int i = 0;
    JsonToken e;
    while ((e = w.next()) != JsonToken.END_ARRAY) {
      String at = path + "[" + i++ + "]";
      w.object(at, e);
      if (path.equals("functions")) {
        functionDef(w, at);
      } else {
        tool(w, at);
      }
    }
    // Schemas reach the model as rendered JSON, so their raw size is the honest measure.
    w.raw(w.p.currentLocation().getByteOffset() - start);
    return i > 0;
  }

  private static void tool(JsonWalk w, String at) throws IOException {
    boolean function = false;
    String type = null;
    while (w.next() == JsonToken.FIELD_NAME) {
      String name = w.p.currentName();
      JsonToken t = w.next();
      switch (name) {
        case "type" -> type = w.stringValue(at + ".type", t);
        case "function" -> {
          w.object(at + ".function", t);
          functionDef(w, at + ".function");
          function = true;
        }
        default -> w.skip();
      }
    }
    if (type == null) {
      throw JsonWalk.missing(at + ".type");
    }
    if (type.equals("function") && !function) {
      throw JsonWalk.missing(at + ".function");
    }
  }

  private static void functionDef(JsonWalk w, String at) throws IOException {
    boolean name = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken t = w.next();
      switch (field) {
        case "name" -> {
          w.string(at + ".name", t, false);
          name = true;
        }
        case "description" -> w.optionalString(at + ".description", t, false);
        case "parameters" -> {
          if (t != JsonToken.VALUE_NULL) {
            w.object(at + ".parameters", t);
            w.skip();
          }
        }
        case "strict" -> w.optionalBool(at + ".strict", t);
        default -> w.skip();
      }
    }
    if (!name) {
      throw JsonWalk.missing(at + ".name");
    }
  }

  /** {@code "none" | "auto" | "required" | {type, function: {name}}}. */
  static void toolChoice(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    if (t == JsonToken.VALUE_STRING) {
      w.oneOf("tool_choice", t, TOOL_CHOICES, "'none', 'auto', 'required'");
      return;
    }
    w.object("tool_choice", t);
    while (w.next() == JsonToken.FIELD_NAME) {
      String name = w.p.currentName();
      JsonToken v = w.next();
      switch (name) {
        case "type" -> w.string("tool_choice.type", v, false);
        case "function" -> {
          w.object("tool_choice.function", v);
          while (w.next() == JsonToken.FIELD_NAME) {
            String f = w.p.currentName();
            JsonToken fv = w.next();
            if (f.equals("name")) {
              w.string("tool_choice.function.name", fv, false);
            } else {
              w.skip();
            }
          }
        }
        default -> w.skip();
      }
    }
  }

  /** {@code {type: text | json_object | json_schema, json_schema: {...}}}. */
  static void responseFormat(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.object("response_format", t);
    String type = null;
    boolean schema = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String name = w.p.currentName();
      JsonToken v = w.next();
      switch (name) {
        case "type" -> type = w.oneOf("response_format.type", v, FORMAT_TYPES, "'text', 'json_object', 'json_schema'");
        case "json_schema" -> {
          w.object("response_format.json_schema", v);
          w.skip();
          schema = true;
        }
        default -> w.skip();
      }
    }
    if (type == null) {
      throw JsonWalk.missing("response_format.type");
    }
    if (type.equals("json_schema") && !schema) {
      throw JsonWalk.missing("response_format.json_schema");
    }
  }
}
