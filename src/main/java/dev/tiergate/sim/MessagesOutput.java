package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Anthropic's Messages answer as the engine writes it, streamed or whole: llama.cpp's shape from
 * captures 17a/17b (usage with {@code cache_read_input_tokens}, output tokens only in
 * {@code message_delta}); vLLM's and SGLang's from {@code vllm/entrypoints/anthropic/serving.py}
 * (input tokens in {@code message_start} and again in {@code message_delta}). Reasoning is a
 * {@code thinking} block, a tool call a {@code tool_use} block fed by {@code input_json_delta}s.
 */
final class MessagesOutput implements Output {
  private enum Block { NONE, THINKING, TEXT, TOOL }

  private final Engine engine;
  private final HttpServerResponse response;
  private final Plan plan;
  private final boolean stream;
  private final String id;
  private final String model;
  private final int promptTokens;
  private final StringBuilder thinking = new StringBuilder();
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder toolArgs = new StringBuilder();
  private Block block = Block.NONE;
  private int index = -1;

  MessagesOutput(Engine engine, HttpServerResponse response, Plan plan, boolean stream, String id, String model,
      int promptTokens) {
    this.engine = engine;
    this.response = response;
    this.plan = plan;
    this.stream = stream;
    this.id = id;
    this.model = model;
    this.promptTokens = promptTokens;
  }

  @Override
  public void open() {
    if (stream) {
      StreamOutput.startStream(engine, response);
    }
  }

  @Override
  public void begin() {
    if (stream) {
      JsonObject msg = new JsonObject().put("id", id).put("type", "message").put("role", "assistant")
          .put("content", new JsonArray()).put("model", model).putNull("stop_reason").putNull("stop_sequence")
          .put("usage", usage(0, true));
      write("message_start", new JsonObject().put("type", "message_start").put("message", msg));
    }
  }

  private JsonObject usage(int output, boolean withInput) {
    JsonObject u = new JsonObject();
    if (engine.llamaFamily()) {
      // llama.cpp reports the prompt tokens it did not take from its cache as input (capture 17a)
      if (withInput) {
        u.put("cache_read_input_tokens", 0).put("input_tokens", promptTokens);
      }
      return u.put("output_tokens", output);
    }
    return u.put("input_tokens", promptTokens).put("output_tokens", output);
  }

  @Override
  public void token(int i, boolean last) {
    String raw = plan.rawAt(i);
    switch (plan.kindAt(i)) {
      case REASONING -> {
        thinking.append(raw);
        if (stream) {
          open(Block.THINKING, new JsonObject().put("type", "thinking").put("thinking", ""));
          delta(new JsonObject().put("type", "thinking_delta").put("thinking", raw));
        }
      }
      case CONTENT -> {
        text.append(raw);
        if (stream) {
          open(Block.TEXT, new JsonObject().put("type", "text").put("text", ""));
          delta(new JsonObject().put("type", "text_delta").put("text", raw));
        }
      }
      case TOOL_START -> {
        if (stream) {
          open(Block.TOOL, new JsonObject().put("type", "tool_use").put("id", plan.toolCallId).put("name", plan.toolName)
              .put("input", new JsonObject()));
        }
      }
      case TOOL_ARGS -> {
        toolArgs.append(raw);
        if (stream) {
          delta(new JsonObject().put("type", "input_json_delta").put("partial_json", raw));
        }
      }
    }
  }

  private void open(Block kind, JsonObject contentBlock) {
    if (block == kind) {
      return;
    }
    stopBlock();
    block = kind;
    index++;
    write("content_block_start", new JsonObject().put("type", "content_block_start").put("index", index)
        .put("content_block", contentBlock));
  }

  private void delta(JsonObject d) {
    write("content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", index).put("delta", d));
  }

  private void stopBlock() {
    if (block != Block.NONE) {
      write("content_block_stop", new JsonObject().put("type", "content_block_stop").put("index", index));
      block = Block.NONE;
    }
  }

  private static String stopReason(String finish) {
    return switch (finish) {
      case "length" -> "max_tokens";
      case "tool_calls" -> "tool_use";
      default -> "end_turn";
    };
  }

  @Override
  public void finish(Outcome o, boolean omitDone) {
    String reason = stopReason(o.finishReason());
    if (!stream) {
      JsonArray content = new JsonArray();
      if (thinking.length() > 0) {
        content.add(new JsonObject().put("type", "thinking").put("thinking", thinking.toString()).put("signature", ""));
      }
      if (text.length() > 0) {
        content.add(new JsonObject().put("type", "text").put("text", text.toString()));
      }
      if (plan.tool) {
        content.add(new JsonObject().put("type", "tool_use").put("id", plan.toolCallId).put("name", plan.toolName)
            .put("input", new JsonObject(toolArgs.toString())));
      }
      JsonObject body = new JsonObject().put("id", id).put("type", "message").put("role", "assistant").put("content", content)
          .put("model", model).put("stop_reason", reason).putNull("stop_sequence").put("usage", usage(o.completionTokens(), true));
      SimServer.json(engine, response, 200, body.encode());
      return;
    }
    stopBlock();
    write("message_delta", new JsonObject().put("type", "message_delta")
        .put("delta", new JsonObject().put("stop_reason", reason).putNull("stop_sequence"))
        .put("usage", usage(o.completionTokens(), !engine.llamaFamily())));
    if (!omitDone) {
      write("message_stop", new JsonObject().put("type", "message_stop"));
    }
    response.end();
  }

  @Override
  public void midError() {
    if (!stream) {
      SimServer.json(engine, response, 500, Errors.envelope(engine, 500, "simulated engine failure during generation",
          Errors.typeFor(engine, 500)));
      return;
    }
    write("error", new JsonObject().put("type", "error").put("error", new JsonObject().put("type", "internal_error")
        .put("message", "simulated engine failure mid-stream")));
    response.end();
  }

  private void write(String event, JsonObject data) {
    response.write(Buffer.buffer("event: " + event + "\ndata: " + data.encode() + "\n\n"));
  }

  @Override
  public void drop() {
    response.reset();
  }

  @Override
  public boolean writeQueueFull() {
    return stream && response.writeQueueFull();
  }

  @Override
  public void onDrain(Runnable resume) {
    response.drainHandler(v -> resume.run());
  }
}
