package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/** The facts of one generation request (chat, completions, Responses, Messages) the sim needs, read once from the body. */
final class SimRequest {

  /** Why a body was refused before any generation; the server turns it into the engine's envelope. */
  static final class Invalid extends Exception {
    final boolean badJson;
    /** The engine's status for this refusal. */
    final int status;

    Invalid(boolean badJson, String message) {
      this(badJson, 400, message);
    }

    Invalid(boolean badJson, int status, String message) {
      super(message, null, false, false);
      this.badJson = badJson;
      this.status = status;
    }
  }

  final boolean chat;
  final SimApi api;
  final JsonObject json;
  final boolean stream;
  /** Whether the client asked for the usage event, by this engine's reading of stream_options. */
  final boolean includeUsage;
  final String model;
  final int promptTokens;
  final String firstToolName;
  final boolean mentionsWeather;
  /** Choices asked for ({@code n}); 1 for the APIs that have none. */
  final int n;

  private SimRequest(SimApi api, JsonObject json, Engine engine, int promptTokens, int n) {
    this.chat = api.chatLike();
    this.api = api;
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
    this.n = n;
    this.firstToolName = firstToolName(json);
    this.mentionsWeather = chat && lastUserText(json).toLowerCase(Locale.ROOT).contains("weather");
  }

  static SimRequest parse(boolean chat, Buffer body, Engine engine, double charsPerToken) throws Invalid {
    return parse(chat ? SimApi.CHAT : SimApi.COMPLETIONS, body, engine, charsPerToken);
  }

  static SimRequest parse(SimApi api, Buffer body, Engine engine, double charsPerToken) throws Invalid {
    return parse(api, body, engine, charsPerToken, true);
  }

  /** @param generate false for the token counters, which take a request without its output budget */
  static SimRequest parse(SimApi api, Buffer body, Engine engine, double charsPerToken, boolean generate) throws Invalid {
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
    if (api == SimApi.MESSAGES || api == SimApi.RESPONSES) {
      chars = conversationChars(api, json, engine, generate);
    } else if (api == SimApi.CHAT) {
      if (!(json.getValue("messages") instanceof JsonArray messages)) {
        throw new Invalid(false, engine.llamaFamily() ? "'messages' is required" : "Field required: messages");
      }
      checkMessageTypes(messages, engine);
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
    int n = 1;
    if (generate && api != SimApi.MESSAGES && api != SimApi.RESPONSES) {
      for (String key : new String[] {"max_tokens", "max_completion_tokens", "n_predict"}) {
        Object v = json.getValue(key);
        // pydantic's lax mode takes an integer in a string; llama.cpp's reader takes numbers only
        boolean lax = !engine.llamaFamily() && v instanceof String str && str.strip().matches("-?\\d+");
        if (v != null && !(v instanceof Number) && !lax) {
          throw new Invalid(false, 400, engine.llamaFamily()
              ? "Field '" + key + "': [json.exception.type_error.302] type must be number, but is " + jsonKind(v)
              : key + ": Input should be a valid integer");
        }
      }
      n = choices(json, engine); // llama.cpp reads max_tokens before n_cmpl: its type error comes first
    }
    int tokens = (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(chars / charsPerToken));
    return new SimRequest(api, json, engine, Math.max(1, tokens), n);
  }

  /**
   * The {@code n} the engine would run, or its refusal. vLLM (0.10.x {@code protocol.py} {@code n: Optional[int] = 1},
   * {@code sampling_params.py} {@code _verify_args} / {@code _verify_greedy_sampling}): null is 1, pydantic's lax
   * integer (a whole number, or one in a string), "n must be at least 1", and no n > 1 at temperature 0. SGLang
   * ({@code protocol.py} {@code n: int = 1}): the same integer check, null refused; it has no lower bound in
   * {@code sampling_params.py}, so what n < 1 does there was not read: the sim refuses it like vLLM. llama.cpp
   * (b10587-era {@code server-task.cpp} {@code params_from_json_cmpl}: {@code json_value(data, "n_cmpl",
   * json_value(data, "n", 1))}): null is 1, a non-number is a 400 like max_tokens' (capture 15e), a fraction is
   * truncated (nlohmann's get&lt;int&gt;); it has no lower bound either, and n < 1 was not captured: the sim
   * refuses it. ik_llama.cpp: assumed the same as llama.cpp.
   */
  private static int choices(JsonObject json, Engine engine) throws Invalid {
    Object v = json.getValue("n");
    if (v == null) {
      if (engine == Engine.SGLANG && json.containsKey("n")) {
        throw new Invalid(false, "n: Input should be a valid integer");
      }
      return 1;
    }
    long n;
    if (engine.llamaFamily()) {
      if (!(v instanceof Number num)) {
        throw new Invalid(false, 400, "Field 'n': [json.exception.type_error.302] type must be number, but is "
            + jsonKind(v));
      }
      n = num.longValue();
    } else if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
      n = num.longValue();
    } else if (v instanceof String str && str.strip().matches("-?\\d{1,18}")) {
      n = Long.parseLong(str.strip());
    } else {
      throw new Invalid(false, v instanceof Number ? "n: Input should be a valid integer, got a number with a fractional part"
          : "n: Input should be a valid integer");
    }
    if (n < 1) {
      throw new Invalid(false, "n must be at least 1, got " + n + ".");
    }
    if (engine == Engine.VLLM && n > 1 && json.getValue("temperature") instanceof Number t && t.doubleValue() < 1e-5) {
      throw new Invalid(false, "n must be 1 when using greedy sampling, got " + n + ".");
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  /**
   * Messages: system, every block's text, tool inputs and results, tool schemas. llama.cpp answers
   * {@code messages: "nope"} with 200 and generated text (capture 17d); the Python engines refuse it.
   * Responses: instructions, input text, function calls and outputs, tool schemas.
   */
  private static long conversationChars(SimApi api, JsonObject json, Engine engine, boolean generate) throws Invalid {
    long chars = 0;
    if (api == SimApi.MESSAGES) {
      Object messages = json.getValue("messages");
      if (!(messages instanceof JsonArray) && engine.python()) {
        throw new Invalid(false, "messages: Input should be a valid list");
      }
      if (generate && engine.python() && !(json.getValue("max_tokens") instanceof Number)) {
        throw new Invalid(false, "max_tokens: Field required");
      }
      chars += anyText(json.getValue("system"));
      chars += messages instanceof JsonArray m ? anyText(m) : 0;
    } else {
      Object input = json.getValue("input");
      if (input == null && engine.python()) {
        throw new Invalid(false, "input: Field required");
      }
      chars += anyText(json.getValue("instructions")) + anyText(input);
    }
    if (json.getValue("tools") instanceof JsonArray tools) {
      chars += tools.encode().length();
    }
    return chars;
  }

  /** The length of every string value under {@code o} except ids, types and roles: what a template renders. */
  private static long anyText(Object o) {
    if (o instanceof String s) {
      return s.length();
    }
    long n = 0;
    if (o instanceof JsonArray a) {
      for (Object e : a) {
        n += anyText(e);
      }
    } else if (o instanceof JsonObject j) {
      for (String k : j.fieldNames()) {
        if (!k.equals("type") && !k.equals("role") && !k.equals("id") && !k.equals("call_id") && !k.equals("tool_use_id")) {
          Object v = j.getValue(k);
          n += v instanceof JsonObject input && k.equals("input") ? input.encode().length() : anyText(v);
        }
      }
    }
    return n;
  }

  /** The max-tokens value the engine would honour, or null when the request sets none (or asks for unlimited). */
  Integer requestedMaxTokens(Engine engine) {
    String[] order = api == SimApi.MESSAGES ? new String[] {"max_tokens"}
        : api == SimApi.RESPONSES ? new String[] {"max_output_tokens"}
        : switch (engine) {
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

  /**
   * The engines read each message's role, each text part and a tool message's tool_call_id as strings.
   * llama.cpp's template code throws on another type and answers 500 "Failed to parse messages" (captures
   * 15a-c); vLLM and SGLang validate the body first and answer 400. An unknown role string is accepted (15d).
   */
  private static void checkMessageTypes(JsonArray messages, Engine engine) throws Invalid {
    for (int i = 0; i < messages.size(); i++) {
      if (!(messages.getValue(i) instanceof JsonObject msg)) {
        continue;
      }
      mustBeString(msg, "role", "messages." + i + ".role", engine);
      if (msg.containsKey("tool_call_id")) {
        mustBeString(msg, "tool_call_id", "messages." + i + ".tool_call_id", engine);
      }
      if (msg.getValue("content") instanceof JsonArray parts) {
        for (int j = 0; j < parts.size(); j++) {
          if (parts.getValue(j) instanceof JsonObject part && part.containsKey("text")) {
            mustBeString(part, "text", "messages." + i + ".content." + j + ".text", engine);
          }
        }
      }
    }
  }

  private static void mustBeString(JsonObject o, String key, String path, Engine engine) throws Invalid {
    Object v = o.getValue(key);
    if (v instanceof String) {
      return;
    }
    if (engine.llamaFamily()) {
      throw new Invalid(false, 500, "Failed to parse messages: [json.exception.type_error.302] type must be string, but is "
          + jsonKind(v));
    }
    throw new Invalid(false, 400, path + ": Input should be a valid string");
  }

  /** nlohmann::json's name for a value's type, as llama.cpp's messages quote it. */
  private static String jsonKind(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Boolean) {
      return "boolean";
    }
    if (v instanceof Number) {
      return "number";
    }
    if (v instanceof String) {
      return "string";
    }
    return v instanceof JsonArray ? "array" : "object";
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

  /** Chat nests the name in {@code function}; Responses and Messages tools carry it at the top. */
  private static String firstToolName(JsonObject json) {
    if (json.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()
        && tools.getValue(0) instanceof JsonObject tool) {
      if (tool.getValue("function") instanceof JsonObject fn && fn.getValue("name") instanceof String name) {
        return name;
      }
      if (tool.getValue("name") instanceof String name) {
        return name;
      }
    }
    return null;
  }

  private static String lastUserText(JsonObject json) {
    Object input = json.getValue("input");
    if (input instanceof String s) {
      return s;
    }
    JsonArray list = json.getValue("messages") instanceof JsonArray m ? m : input instanceof JsonArray in ? in : null;
    if (list != null && !list.isEmpty()) {
      // Only a question the user just asked: after a tool result the model answers instead of calling again.
      JsonArray messages = list;
      for (int i = messages.size() - 1; i == messages.size() - 1; i--) {
        if (messages.getValue(i) instanceof JsonObject msg && "user".equals(msg.getValue("role"))
            && !hasToolResult(msg.getValue("content"))) {
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

  private static boolean hasToolResult(Object content) {
    if (content instanceof JsonArray parts) {
      for (Object p : parts) {
        if (p instanceof JsonObject part && "tool_result".equals(part.getValue("type"))) {
          return true;
        }
      }
    }
    return false;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "invalid JSON";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
