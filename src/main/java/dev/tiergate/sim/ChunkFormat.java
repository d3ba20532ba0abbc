package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;

/**
 * Builds one request's SSE events in its engine's shape. The id/created/model part never changes within a
 * request, so it is rendered once into a head and a middle and each event only adds its choice.
 *
 * <p>Where each shape comes from. llama.cpp / ik_llama.cpp: real captures
 * ({@code src/test/resources/engine-transcripts/llamacpp/}, build b10587), checked key for key by
 * {@code SimMatchesLlamaCppCapturesTest}. vLLM and SGLang: their source, not captures, so these can drift:
 * <ul>
 *   <li>vLLM: {@code vllm/entrypoints/openai/serving_chat.py}, {@code chat_completion_stream_generator}
 *       (read at commit 003fe59, the 0.10.x line): a role chunk {@code DeltaMessage(role, content="")},
 *       the finish reason and {@code stop_reason} on the last token's chunk, then {@code choices: []} + usage
 *       only when a {@code stream_options} object is sent (its {@code include_usage} defaults to true), and
 *       {@code [DONE]} always, also after an error event;
 *       {@code model_dump_json(exclude_unset=True)} is why absent fields are not sent as null.
 *   <li>SGLang: {@code python/sglang/srt/entrypoints/openai/serving_chat.py} and {@code protocol.py}
 *       (SGLang 0.5, pydantic models dumped with their nulls, hence every delta field present and
 *       {@code "usage":null}; a separate finish chunk with {@code matched_stop}). Newer SGLang (serving_chat.py
 *       at commit 002897c) builds chunks with {@code sse_utils.build_sse_content} (msgspec, omit_defaults), which
 *       leaves null delta keys and a null usage out: not modelled here.
 * </ul>
 */
final class ChunkFormat {
  static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
  private static final String EOS_TOKEN_ID = "151645"; // Qwen's <|im_end|>, what SGLang reports in matched_stop

  private final Engine engine;
  private final boolean chat;
  private final boolean stamp;
  private final String head;
  private final String mid;
  /** llama.cpp's completions events carry their id after the usage (capture 07b); empty elsewhere. */
  private final String idAfterUsage;

  ChunkFormat(Engine engine, boolean chat, String id, long created, String model, boolean stamp) {
    this.engine = engine;
    this.chat = chat;
    this.stamp = stamp;
    String object = chat ? "chat.completion.chunk" : "text_completion";
    String m = Json.encode(model);
    if (engine.llamaFamily()) {
      head = "data: {\"choices\":[";
      mid = chat
          ? "],\"created\":" + created + ",\"id\":\"" + id + "\",\"model\":" + m + ",\"system_fingerprint\":\""
              + Outcome.FINGERPRINT + "\",\"object\":\"" + object + "\""
          : "],\"created\":" + created + ",\"model\":" + m + ",\"system_fingerprint\":\"" + Outcome.FINGERPRINT
              + "\",\"object\":\"" + object + "\"";
      idAfterUsage = chat ? "" : ",\"id\":\"" + id + "\"";
    } else {
      head = "data: {\"id\":\"" + id + "\",\"object\":\"" + object + "\",\"created\":" + created + ",\"model\":" + m
          + ",\"choices\":[";
      mid = "]";
      idAfterUsage = "";
    }
  }

  /** @param choice the choice's index ({@code n} > 1), 0 otherwise */
  Buffer role(int choice) {
    String delta = switch (engine) {
      case VLLM -> "{\"role\":\"assistant\",\"content\":\"\"}";
      case SGLANG -> "{\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":null,\"tool_calls\":null}";
      case LLAMACPP, IKLLAMA -> "{\"role\":\"assistant\",\"content\":null}";
    };
    return event(chatChoice(choice, delta, null), null, null);
  }

  /** @param finish only vLLM puts the finish reason on a token event; everyone else passes null */
  Buffer token(Plan plan, int choice, int i, String finish) {
    String text = plan.escapedAt(i);
    if (!chat) {
      return event(completionChoice(choice, text, finish), null, null);
    }
    String delta = switch (plan.kindAt(i)) {
      case CONTENT -> engine == Engine.SGLANG ? sglangDelta("\"" + text + "\"", "null", "null")
          : "{\"content\":\"" + text + "\"}";
      case REASONING -> switch (engine) {
        case VLLM -> "{\"reasoning\":\"" + text + "\"}";
        case SGLANG -> sglangDelta("null", "\"" + text + "\"", "null");
        case LLAMACPP, IKLLAMA -> "{\"reasoning_content\":\"" + text + "\"}";
      };
      case TOOL_START -> toolDelta("{\"index\":0,\"id\":\"" + plan.toolCallId
          + "\",\"type\":\"function\",\"function\":{\"name\":" + Json.encode(plan.toolName) + ",\"arguments\":\"\"}}");
      case TOOL_ARGS -> toolDelta("{\"index\":0,\"function\":{\"arguments\":\"" + text + "\"}}");
    };
    return event(chatChoice(choice, delta, finish), null, null);
  }

  /** The separate finishing event of SGLang and the llama.cpp family. */
  Buffer finish(int choice, String finishReason, String usage, String timings) {
    if (!chat) {
      return event(completionChoice(choice, "", finishReason), usage, timings);
    }
    String delta = engine == Engine.SGLANG ? sglangDelta("null", "null", "null") : "{}";
    return event(chatChoice(choice, delta, finishReason), usage, timings);
  }

  Buffer usage(String usage, String timings) {
    return event(null, usage, timings);
  }

  /** A pre-encoded JSON object as one event, e.g. an error; stamped like every other chunk. */
  Buffer data(String json) {
    if (stamp && json.endsWith("}")) {
      json = json.substring(0, json.length() - 1) + ",\"sim_ts_us\":" + SimClock.epochMicros() + "}";
    }
    return Buffer.buffer("data: " + json + "\n\n");
  }

  private String chatChoice(int choice, String delta, String finish) {
    String f = finish == null ? "null" : "\"" + finish + "\"";
    return switch (engine) {
      case VLLM -> "{\"index\":" + choice + ",\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + f
          + (finish == null ? "}" : ",\"stop_reason\":null}");
      case SGLANG -> "{\"index\":" + choice + ",\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + f
          + ",\"matched_stop\":" + matchedStop(finish) + "}";
      case LLAMACPP, IKLLAMA -> "{\"finish_reason\":" + f + ",\"index\":" + choice + ",\"delta\":" + delta + "}";
    };
  }

  private String completionChoice(int choice, String text, String finish) {
    String f = finish == null ? "null" : "\"" + finish + "\"";
    return switch (engine) {
      case VLLM -> "{\"index\":" + choice + ",\"text\":\"" + text + "\",\"logprobs\":null,\"finish_reason\":" + f
          + ",\"stop_reason\":null}";
      case SGLANG -> "{\"index\":" + choice + ",\"text\":\"" + text + "\",\"logprobs\":null,\"finish_reason\":" + f
          + ",\"matched_stop\":" + matchedStop(finish) + "}";
      case LLAMACPP, IKLLAMA -> "{\"text\":\"" + text + "\",\"index\":" + choice + ",\"logprobs\":null,\"finish_reason\":"
          + f + "}";
    };
  }

  private static String matchedStop(String finish) {
    return "stop".equals(finish) ? EOS_TOKEN_ID : "null";
  }

  private String toolDelta(String call) {
    return engine == Engine.SGLANG ? sglangDelta("null", "null", "[" + call + "]") : "{\"tool_calls\":[" + call + "]}";
  }

  /** SGLang serializes every delta field, null or not. */
  private static String sglangDelta(String content, String reasoning, String toolCalls) {
    return "{\"role\":null,\"content\":" + content + ",\"reasoning_content\":" + reasoning + ",\"tool_calls\":"
        + toolCalls + "}";
  }

  private Buffer event(String choice, String usage, String timings) {
    StringBuilder sb = new StringBuilder(head.length() + mid.length() + 200);
    sb.append(head);
    if (choice != null) {
      sb.append(choice);
    }
    sb.append(mid);
    if (usage != null) {
      sb.append(",\"usage\":").append(usage);
    } else if (engine == Engine.SGLANG) {
      sb.append(",\"usage\":null");
    }
    sb.append(idAfterUsage);
    if (timings != null) {
      sb.append(",\"timings\":").append(timings);
    }
    if (stamp) {
      sb.append(",\"sim_ts_us\":").append(SimClock.epochMicros());
    }
    sb.append("}\n\n");
    return Buffer.buffer(sb.toString());
  }
}
