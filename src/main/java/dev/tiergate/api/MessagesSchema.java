package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonToken;
import dev.tiergate.errors.GatewayError;
import java.io.IOException;
import java.util.Set;

/**
 * Anthropic's Messages request, checked where engines parse hard types and measured for routing:
 * {@code system}, every content block of every message (text, tool_use input, tool_result content,
 * thinking), and the tool schemas. llama.cpp answers {@code messages: "nope"} with 200 and generated
 * text (capture 17d), so nothing reaches an engine unchecked.
 */
final class MessagesSchema {
  private static final Set<String> CHOICES = Set.of("auto", "any", "tool", "none");
  private static final Set<String> THINKING = Set.of("enabled", "disabled", "adaptive");

  private MessagesSchema() {}

  /** {@code messages}: returns how many. Roles are strings (clients send more than user/assistant; engines map them). */
  static int messages(JsonWalk w, JsonToken v) throws IOException {
    w.array("messages", v);
    int i = 0;
    JsonToken t;
    while ((t = w.next()) != JsonToken.END_ARRAY) {
      String at = "messages[" + i + "]";
      w.object(at, t);
      boolean role = false;
      boolean content = false;
      while (w.next() == JsonToken.FIELD_NAME) {
        String name = w.p.currentName();
        JsonToken f = w.next();
        switch (name) {
          case "role" -> {
            w.stringValue(at + ".role", f);
            role = true;
          }
          case "content" -> {
            content(w, at + ".content", f);
            content = true;
          }
          default -> w.skip();
        }
      }
      if (!role) {
        throw JsonWalk.missing(at + ".role");
      }
      if (!content) {
        throw JsonWalk.missing(at + ".content");
      }
      i++;
    }
    return i;
  }

  /** A string or an array of content blocks. */
  static void content(JsonWalk w, String path, JsonToken t) throws IOException {
    w.textOrObjects(path, t, "a string or an array of content blocks", MessagesSchema::block);
  }

  private static void block(JsonWalk w, String at) throws IOException {
    String type = null;
    boolean text = false;
    boolean id = false;
    boolean name = false;
    boolean toolUseId = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken t = w.next();
      switch (field) {
        case "type" -> type = w.stringValue(at + ".type", t);
        case "text" -> {
          w.string(at + ".text", t, true);
          text = true;
        }
        case "thinking" -> w.string(at + ".thinking", t, true);
        case "id" -> {
          w.string(at + ".id", t, false);
          id = true;
        }
        case "name" -> {
          w.string(at + ".name", t, true);
          name = true;
        }
        case "input" -> {
          w.object(at + ".input", t);
          rawSize(w);
        }
        case "tool_use_id" -> {
          w.string(at + ".tool_use_id", t, false);
          toolUseId = true;
        }
        case "content" -> content(w, at + ".content", t);
        case "is_error" -> w.optionalBool(at + ".is_error", t);
        // Images and documents are media, not prompt text; a signature is opaque.
        case "source" -> {
          w.media = true;
          w.skip();
        }
        case "signature", "data", "cache_control", "citations" -> w.skip();
        default -> w.countStrings();
      }
    }
    if (type == null) {
      throw JsonWalk.missing(at + ".type");
    }
    switch (type) {
      case "text" -> require(text, at + ".text");
      case "tool_use" -> {
        require(id, at + ".id");
        require(name, at + ".name");
      }
      case "tool_result" -> require(toolUseId, at + ".tool_use_id");
      default -> { }
    }
  }

  /** JSON the model reads as rendered text (tool inputs, schemas): its raw size is the honest measure. */
  private static void rawSize(JsonWalk w) throws IOException {
    long start = w.p.currentTokenLocation().getByteOffset();
    w.skip();
    w.raw(w.p.currentLocation().getByteOffset() - start);
  }

  /** {@code system}: a string or an array of text blocks. */
  static void system(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    content(w, "system", t);
  }

  /** {@code tools}: client tools need a name and an input schema; server tools ({@code type: web_search_…}) a type. */
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
      boolean name = false;
      boolean schema = false;
      String type = null;
      while (w.next() == JsonToken.FIELD_NAME) {
        String field = w.p.currentName();
        JsonToken f = w.next();
        switch (field) {
          case "name" -> {
            w.string(at + ".name", f, false);
            name = true;
          }
          case "type" -> type = w.stringValue(at + ".type", f);
          case "description" -> w.optionalString(at + ".description", f, false);
          case "input_schema" -> {
            w.object(at + ".input_schema", f);
            w.skip();
            schema = true;
          }
          default -> w.skip();
        }
      }
      require(name, at + ".name");
      if (type == null || type.equals("custom")) {
        require(schema, at + ".input_schema");
      }
    }
    w.raw(w.p.currentLocation().getByteOffset() - start);
    return i > 0;
  }

  /** {@code {type: auto|any|tool|none, name?, disable_parallel_tool_use?}}. */
  static void toolChoice(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.object("tool_choice", t);
    String type = null;
    boolean name = false;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken f = w.next();
      switch (field) {
        case "type" -> type = w.oneOf("tool_choice.type", f, CHOICES, "'auto', 'any', 'tool', 'none'");
        case "name" -> {
          w.string("tool_choice.name", f, false);
          name = true;
        }
        case "disable_parallel_tool_use" -> w.optionalBool("tool_choice.disable_parallel_tool_use", f);
        default -> w.skip();
      }
    }
    require(type != null, "tool_choice.type");
    if (type.equals("tool")) {
      require(name, "tool_choice.name");
    }
  }

  /** {@code {type: enabled|disabled|adaptive, budget_tokens?}}. */
  static void thinking(JsonWalk w, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    w.object("thinking", t);
    String type = null;
    while (w.next() == JsonToken.FIELD_NAME) {
      String field = w.p.currentName();
      JsonToken f = w.next();
      switch (field) {
        case "type" -> type = w.oneOf("thinking.type", f, THINKING, "'enabled', 'disabled', 'adaptive'");
        case "budget_tokens" -> w.optionalCount("thinking.budget_tokens", f);
        default -> w.skip();
      }
    }
    require(type != null, "thinking.type");
  }

  private static void require(boolean present, String path) {
    if (!present) {
      throw JsonWalk.missing(path);
    }
  }

  static GatewayError maxTokensRequired() {
    return JsonWalk.missing("max_tokens");
  }
}
