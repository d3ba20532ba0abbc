package dev.tiergate.upstream;

import dev.tiergate.config.Api;
import dev.tiergate.config.Engine;
import dev.tiergate.stream.JsonBytes;
import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;

/**
 * ik_llama.cpp: llama.cpp's names, but it ranks {@code max_tokens} above
 * {@code max_completion_tokens}, so the OpenAI precedence is restored by sending only one; and it
 * reports {@code stop} when the budget ran out, which a client must see as {@code length}.
 */
final class IkLlamaAdapter extends LlamaCppAdapter {
  private static final byte[] FINISH = JsonBytes.key("finish_reason");
  private static final byte[] LENGTH = "\"length\"".getBytes(StandardCharsets.US_ASCII);

  /**
   * Chat and completions only ({@code examples/server/server.cpp}); Responses and Messages are translated.
   * Builds from 2026 route {@code /v1/messages} too (ik_llama.cpp PR #1136): declare it with {@code serves}.
   */
  IkLlamaAdapter() {
    super(Engine.IKLLAMA, EnumSet.of(Api.CHAT, Api.COMPLETIONS));
  }

  @Override
  protected void translate(RequestBody body, BodyEditor edit) {
    super.translate(body, edit);
    String mct = body.rawValue("max_completion_tokens");
    if (mct != null && !mct.equals("null")) {
      edit.remove("max_completion_tokens");
      edit.set("max_tokens", mct);
    }
  }

  @Override
  public ResponseFixer fixer(int maxTokens) {
    return maxTokens <= 0 ? ResponseFixer.NONE : new LengthFixer(maxTokens);
  }

  /** Counts output events (one token each on this engine) to tell a budget stop from a real one. */
  private static final class LengthFixer implements ResponseFixer {
    private final int maxTokens;
    private int outputs;

    LengthFixer(int maxTokens) {
      this.maxTokens = maxTokens;
    }

    @Override
    public Buffer event(SseEvent e) {
      if (e.is(SseEvent.OUTPUT)) {
        outputs++;
      }
      if (e.is(SseEvent.FINISH) && outputs >= maxTokens && e.data().toString().contains("\"stop\"")) {
        return JsonBytes.replaceString(e.data(), FINISH, LENGTH);
      }
      return e.data();
    }

    @Override
    public Buffer body(Buffer body) {
      try {
        JsonObject o = new JsonObject(body);
        JsonObject usage = o.getJsonObject("usage");
        if (usage == null || usage.getInteger("completion_tokens", -1) < maxTokens) {
          return body;
        }
        boolean changed = false;
        for (Object c : o.getJsonArray("choices", new io.vertx.core.json.JsonArray())) {
          if (c instanceof JsonObject choice && "stop".equals(choice.getString("finish_reason"))) {
            choice.put("finish_reason", "length");
            changed = true;
          }
        }
        return changed ? o.toBuffer() : body;
      } catch (RuntimeException notJson) {
        return body;
      }
    }
  }
}
