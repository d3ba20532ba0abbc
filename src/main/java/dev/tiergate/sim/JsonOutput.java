package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Collects a generation and answers with one engine-shaped chat.completion / text_completion body. The llama.cpp
 * body is the captured one's (engine-transcripts 05, 07a); the vLLM and SGLang bodies follow their source
 * ({@code chat_completion_full_generator} in vLLM's {@code serving_chat.py}, 0.10.x: {@code stop_reason},
 * {@code reasoning}, {@code tool_calls: []}; SGLang 0.5's {@code serving_chat.py}: {@code matched_stop}, nulls
 * kept), not from captures.
 */
final class JsonOutput implements Output {
  private final Engine engine;
  private final HttpServerResponse response;
  private final Plan plan;
  private final boolean chat;
  private final String id;
  private final long created;
  private final String model;
  private final StringBuilder content = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  private final StringBuilder toolArgs = new StringBuilder();

  JsonOutput(Engine engine, HttpServerResponse response, Plan plan, boolean chat, String id, long created,
      String model) {
    this.engine = engine;
    this.response = response;
    this.plan = plan;
    this.chat = chat;
    this.id = id;
    this.created = created;
    this.model = model;
  }

  @Override
  public void open() {
  }

  @Override
  public void begin() {
  }

  @Override
  public void token(int index, boolean last) {
    switch (plan.kindAt(index)) {
      case REASONING -> (chat ? reasoning : content).append(plan.rawAt(index));
      case CONTENT -> content.append(plan.rawAt(index));
      case TOOL_ARGS -> toolArgs.append(plan.rawAt(index));
      case TOOL_START -> { }
    }
  }

  @Override
  public void finish(Outcome o, boolean omitDone) {
    JsonObject body = engine.llamaFamily() ? llamaBody(o) : pythonBody(o);
    SimServer.json(engine, response, 200, body.encode());
  }

  @Override
  public void midError() {
    SimServer.json(engine, response, 500,
        Errors.envelope(engine, 500, "simulated engine failure during generation", Errors.typeFor(engine, 500)));
  }

  @Override
  public void drop() {
    response.reset();
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public void onDrain(Runnable resume) {
  }

  private JsonObject pythonBody(Outcome o) {
    JsonObject choice = new JsonObject().put("index", 0);
    if (chat) {
      choice.put("message", pythonMessage());
    } else {
      choice.put("text", content.toString());
    }
    choice.putNull("logprobs").put("finish_reason", o.finishReason());
    if (engine == Engine.VLLM) {
      choice.putNull("stop_reason");
    } else if ("stop".equals(o.finishReason())) {
      choice.put("matched_stop", 151645);
    } else {
      choice.putNull("matched_stop");
    }
    return new JsonObject().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
        .put("created", created).put("model", model).put("choices", new JsonArray().add(choice))
        .put("usage", o.usage());
  }

  private JsonObject pythonMessage() {
    JsonObject m = new JsonObject().put("role", "assistant");
    m.put("content", plan.tool ? null : content.toString());
    String reasoningKey = engine == Engine.VLLM ? "reasoning" : "reasoning_content";
    m.put(reasoningKey, reasoning.length() == 0 ? null : reasoning.toString());
    if (plan.tool) {
      m.put("tool_calls", new JsonArray().add(toolCall()));
    } else if (engine == Engine.VLLM) {
      m.put("tool_calls", new JsonArray());
    } else {
      m.putNull("tool_calls");
    }
    return m;
  }

  private JsonObject llamaBody(Outcome o) {
    JsonObject choice;
    if (chat) {
      JsonObject m = new JsonObject().put("role", "assistant").put("content", plan.tool ? null : content.toString());
      if (reasoning.length() > 0) {
        m.put("reasoning_content", reasoning.toString());
      }
      if (plan.tool) {
        m.put("tool_calls", new JsonArray().add(toolCall()));
      }
      choice = new JsonObject().put("finish_reason", o.finishReason()).put("index", 0).put("message", m);
    } else {
      choice = new JsonObject().put("text", content.toString()).put("index", 0).putNull("logprobs")
          .put("finish_reason", o.finishReason());
    }
    return new JsonObject().put("choices", new JsonArray().add(choice)).put("created", created).put("model", model)
        .put("system_fingerprint", Outcome.FINGERPRINT).put("object", chat ? "chat.completion" : "text_completion")
        .put("usage", o.usage()).put("id", id).put("timings", o.timings());
  }

  private JsonObject toolCall() {
    return new JsonObject().put("id", plan.toolCallId).put("type", "function")
        .put("function", new JsonObject().put("name", plan.toolName).put("arguments", toolArgs.toString()));
  }
}
