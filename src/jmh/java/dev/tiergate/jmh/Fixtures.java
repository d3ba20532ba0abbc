package dev.tiergate.jmh;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/** Inputs shared by the benchmarks: a vLLM-shaped chunk stream, chat bodies, the demo-like config. */
final class Fixtures {
  private Fixtures() {}

  static final String CONFIG = """
      server: { port: 0, instances: 2 }
      routing:
        defaultTier: fast
        charsPerToken: 4.0
        rules:
          - { name: long-prompt, when: { promptTokensAtLeast: 8192 }, tier: prefill }
      tiers:
        - name: fast
          fallback: [max, prefill]
          backends: [{ name: fast-1, url: "http://127.0.0.1:18010", engine: vllm, model: q-int4, contextWindow: 262144 }]
        - name: max
          fallback: [fast, prefill]
          backends: [{ name: max-1, url: "http://127.0.0.1:18013", engine: vllm, model: q-fp8, contextWindow: 131072 }]
        - name: prefill
          fallback: [max, fast]
          backends: [{ name: prefill-1, url: "http://127.0.0.1:18016", engine: vllm, model: q-w8a8, contextWindow: 131072 }]
      """;

  static GatewayConfig config() {
    return new ConfigLoader(k -> null).parse("jmh", CONFIG);
  }

  /** One vLLM content chunk as the engine writes it (≈ 230 bytes). */
  static String vllmEvent(int i) {
    return "data: {\"id\":\"chatcmpl-3f1c2a9b8d7e4f60a1b2c3d4e5f60718\",\"object\":\"chat.completion.chunk\","
        + "\"created\":1732700000,\"model\":\"qwen3.6-27b-int4\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token"
        + i + "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
  }

  /** A whole stream: role chunk, {@code tokens} content chunks, usage chunk, [DONE]. */
  static String vllmStream(int tokens) {
    StringBuilder sb = new StringBuilder();
    sb.append("data: {\"id\":\"chatcmpl-3f1c\",\"object\":\"chat.completion.chunk\",\"created\":1732700000,\"model\":\"q\","
        + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
        + "\"finish_reason\":null}]}\n\n");
    for (int i = 0; i < tokens; i++) {
      sb.append(vllmEvent(i));
    }
    sb.append("data: {\"id\":\"chatcmpl-3f1c\",\"object\":\"chat.completion.chunk\",\"created\":1732700000,\"model\":\"q\","
        + "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":" + (12 + tokens) + ",\"completion_tokens\":"
        + tokens + "}}\n\n");
    sb.append("data: [DONE]\n\n");
    return sb.toString();
  }

  /**
   * The stream cut into network chunks the way a decoding engine delivers them: one event per read, and
   * every fifth read split in the middle of an event (a TCP segment boundary).
   */
  static List<Buffer> chunks(String stream) {
    List<Buffer> out = new ArrayList<>();
    String[] events = stream.split("(?<=\n\n)");
    String carry = "";
    for (int i = 0; i < events.length; i++) {
      String e = carry + events[i];
      carry = "";
      if (i % 5 == 4 && e.length() > 40) {
        out.add(Buffer.buffer(e.substring(0, e.length() / 2)));
        carry = e.substring(e.length() / 2);
        continue;
      }
      out.add(Buffer.buffer(e));
    }
    if (!carry.isEmpty()) {
      out.add(Buffer.buffer(carry));
    }
    return out;
  }

  /** A chat body of about {@code tokens} prompt tokens in 20-turn conversation form. */
  static Buffer chatBody(int tokens) {
    int turns = tokens < 1000 ? 2 : 40;
    int charsPerTurn = Math.max(8, tokens * 4 / turns);
    StringBuilder sb = new StringBuilder(tokens * 4 + 512);
    sb.append("{\"model\":\"qwen3.6-27b\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":512,"
        + "\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"}");
    String words = "the harbour keeper counted copper lanterns while the northern signal flickered \\\"twice\\\" ";
    for (int t = 0; t < turns; t++) {
      sb.append(",{\"role\":\"").append(t % 2 == 0 ? "user" : "assistant").append("\",\"content\":\"");
      int start = sb.length();
      while (sb.length() - start < charsPerTurn) {
        sb.append(words);
      }
      sb.append("\"}");
    }
    sb.append("]}");
    return Buffer.buffer(sb.toString());
  }
}
