package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** The facts of one chat or completions request the sim needs, read once from the body. */
final class SimRequest {

  /** Why a body was refused before any generation; the server turns it into the engine's envelope. */
  static final class Invalid extends Exception {
    final boolean badJson;

    Invalid(boolean badJson, String message) {
      super(message, null, false, false);
      this.badJson = badJson;
    }
  }

  final boolean chat;
  final JsonObject json;
  final boolean stream;
  /** Whether the client asked for the usage event, by this engine's reading of stream_options. */
  final boolean includeUsage;
  final String model;
  final int promptTokens;
  final String firstToolName;
  final boolean mentionsWeather;

  private SimRequest(boolean chat, JsonObject json, Engine engine, int promptTokens) {
    this.chat = chat;
    this.json = json;
    this.stream = json.getValue("stream") instanceof Boolean b && b;
    Object so = json.getValue("stream_options");
    if (engine == Engine.VLLM) {
      this.includeUsage = so instanceof JsonObject; // vLLM reports usage for any stream_options object
    } else {
      this.includeUsage = so instanceof JsonObject o && Boolean.TRUE.equals(o.getValue("include_usage"));
    }
    this.model = json.getValue("model") instanceof String s ? s : null;
    this.promptTokens = promptTokens;
    this.firstToolName = firstToolName(json);
    this.mentionsWeather = chat && lastUserText(json).toLowerCase(Locale.ROOT).contains("weather");
  }

  static SimRequest parse(boolean chat, Buffer body, Engine engine, double charsPerToken) throws Invalid {
    Object parsed;
    try {
      parsed = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new Invalid(true, firstLine(e.getMessage()));
    }
    if (!(parsed instanceof JsonObject json)) {
      throw new Invalid(true, "request body must be a JSON object");
    }
    long chars;
    if (chat) {
      if (!(json.getValue("messages") instanceof JsonArray messages)) {
        throw new Invalid(false, engine.llamaFamily() ? "'messages' is required" : "Field required: messages");
      }
      chars = messageChars(messages);
      if (json.getValue("tools") instanceof JsonArray tools) {
        chars += tools.encode().length();
      }
    } else {
      Object prompt = json.getValue("prompt");
      if (prompt == null) {
        throw new Invalid(false, engine.llamaFamily() ? "\"prompt\" must be provided" : "Field required: prompt");
      }
      chars = promptChars(prompt, charsPerToken);
    }
    int tokens = (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(chars / charsPerToken));
    return new SimRequest(chat, json, engine, Math.max(1, tokens));
  }

  /** The max-tokens value the engine would honour, or null when the request sets none (or asks for unlimited). */
  Integer requestedMaxTokens(Engine engine) {
    String[] order = switch (engine) {
      case VLLM, SGLANG -> new String[] {"max_completion_tokens", "max_tokens"};
      case LLAMACPP -> new String[] {"n_predict", "max_completion_tokens", "max_tokens"};
      case IKLLAMA -> new String[] {"n_predict", "max_tokens", "max_completion_tokens"};
    };
    for (String key : order) {
      if (json.getValue(key) instanceof Number n) {
        int v = n.intValue();
        if (v < 0 && engine.llamaFamily()) {
          return null; // llama.cpp reads -1 as "no limit"; the sim falls back to its default
        }
        return Math.max(1, v);
      }
    }
    return null;
  }

  private static long messageChars(JsonArray messages) {
    long chars = 0;
    for (Object m : messages) {
      if (m instanceof JsonObject msg) {
        chars += contentChars(msg.getValue("content"));
      }
    }
    return chars;
  }

  private static long contentChars(Object content) {
    if (content instanceof String s) {
      return s.length();
    }
    long chars = 0;
    if (content instanceof JsonArray parts) {
      for (Object p : parts) {
        if (p instanceof JsonObject part && part.getValue("text") instanceof String t) {
          chars += t.length();
        } else if (p instanceof String s) {
          chars += s.length();
        }
      }
    }
    return chars;
  }

  /** A prompt may be text, a list of texts, or pre-tokenized ids (each id counts as one token's worth). */
  private static long promptChars(Object prompt, double charsPerToken) {
    if (prompt instanceof String s) {
      return s.length();
    }
    long chars = 0;
    if (prompt instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof String s) {
          chars += s.length();
        } else if (o instanceof Number) {
          chars += (long) Math.ceil(charsPerToken);
        } else if (o instanceof JsonArray ids) {
          chars += (long) Math.ceil(ids.size() * charsPerToken);
        }
      }
    }
    return chars;
  }

  private static String firstToolName(JsonObject json) {
    if (json.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()
        && tools.getValue(0) instanceof JsonObject tool
        && tool.getValue("function") instanceof JsonObject fn
        && fn.getValue("name") instanceof String name) {
      return name;
    }
    return null;
  }

  private static String lastUserText(JsonObject json) {
    if (json.getValue("messages") instanceof JsonArray messages) {
      for (int i = messages.size() - 1; i >= 0; i--) {
        if (messages.getValue(i) instanceof JsonObject msg && "user".equals(msg.getValue("role"))) {
          Object c = msg.getValue("content");
          if (c instanceof String s) {
            return s;
          }
          StringBuilder sb = new StringBuilder();
          if (c instanceof JsonArray parts) {
            for (Object p : parts) {
              if (p instanceof JsonObject part && part.getValue("text") instanceof String t) {
                sb.append(t).append(' ');
              }
            }
          }
          return sb.toString();
        }
      }
    }
    return "";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "invalid JSON";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
