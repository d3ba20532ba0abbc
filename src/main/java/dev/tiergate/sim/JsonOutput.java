package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Collects a generation and answers with one engine-shaped chat.completion / text_completion body. The llama.cpp
 * body is the captured one's (engine-transcripts 05, 07a); the vLLM and SGLang bodies follow their source
 * ({@code chat_completion_full_generator} in vLLM's {@code serving_chat.py}, 0.10.x: {@code stop_reason},
 * {@code reasoning}, {@code tool_calls: []}; SGLang 0.5's {@code serving_chat.py}: {@code matched_stop}, nulls
 * kept), not from captures. With {@code n} choices: one {@code choices[]} entry per index; vLLM and SGLang count
 * the prompt once and sum the choices' completion tokens ({@link Outcome#summed}); llama.cpp (capture 05g_chat_n2)
 * reports one choice's usage and timings (both its choices had 4 tokens and it said 4): the sim gives choice 0's.
 */
final class JsonOutput implements Output {
  private final Engine engine;
  private final HttpServerResponse response;
  private final Plan[] plans;
  private final boolean chat;
  private final String id;
  private final long created;
  private final String model;
  private final StringBuilder[] content;
  private final StringBuilder[] reasoning;
  private final StringBuilder[] toolArgs;

  JsonOutput(Engine engine, HttpServerResponse response, Plan[] plans, boolean chat, String id, long created,
      String model) {
    this.engine = engine;
    this.response = response;
    this.plans = plans;
    this.chat = chat;
    this.id = id;
    this.created = created;
    this.model = model;
    this.content = new StringBuilder[plans.length];
    this.reasoning = new StringBuilder[plans.length];
    this.toolArgs = new StringBuilder[plans.length];
    for (int c = 0; c < plans.length; c++) {
      content[c] = new StringBuilder();
      reasoning[c] = new StringBuilder();
      toolArgs[c] = new StringBuilder();
    }
  }

  @Override
  public void open() {
  }

  @Override
  public void begin() {
  }

  @Override
  public void token(int index, boolean last) {
    token(0, index, last);
  }

  @Override
  public void token(int c, int index, boolean last) {
    Plan plan = plans[c];
    switch (plan.kindAt(index)) {
      case REASONING -> (chat ? reasoning[c] : content[c]).append(plan.rawAt(index));
      case CONTENT -> content[c].append(plan.rawAt(index));
      case TOOL_ARGS -> toolArgs[c].append(plan.rawAt(index));
      case TOOL_START -> { }
    }
  }

  @Override
  public void finish(Outcome o, boolean omitDone) {
    finish(new Outcome[] {o}, omitDone);
  }

  @Override
  public void finish(Outcome[] outcomes, boolean omitDone) {
    JsonObject body = engine.llamaFamily() ? llamaBody(outcomes) : pythonBody(outcomes);
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

  private JsonObject pythonBody(Outcome[] outcomes) {
    JsonArray choices = new JsonArray();
    for (int c = 0; c < outcomes.length; c++) {
      Outcome o = outcomes[c];
      JsonObject choice = new JsonObject().put("index", c);
      if (chat) {
        choice.put("message", pythonMessage(c));
      } else {
        choice.put("text", content[c].toString());
      }
      choice.putNull("logprobs").put("finish_reason", o.finishReason());
      if (engine == Engine.VLLM) {
        choice.putNull("stop_reason");
      } else if ("stop".equals(o.finishReason())) {
        choice.put("matched_stop", 151645);
      } else {
        choice.putNull("matched_stop");
      }
      choices.add(choice);
    }
    return new JsonObject().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
        .put("created", created).put("model", model).put("choices", choices)
        .put("usage", Outcome.summed(outcomes).usage());
  }

  private JsonObject pythonMessage(int c) {
    Plan plan = plans[c];
    JsonObject m = new JsonObject().put("role", "assistant");
    m.put("content", plan.tool ? null : content[c].toString());
    String reasoningKey = engine == Engine.VLLM ? "reasoning" : "reasoning_content";
    m.put(reasoningKey, reasoning[c].length() == 0 ? null : reasoning[c].toString());
    if (plan.tool) {
      m.put("tool_calls", new JsonArray().add(toolCall(c)));
    } else if (engine == Engine.VLLM) {
      m.put("tool_calls", new JsonArray());
    } else {
      m.putNull("tool_calls");
    }
    return m;
  }

  private JsonObject llamaBody(Outcome[] outcomes) {
    JsonArray choices = new JsonArray();
    for (int c = 0; c < outcomes.length; c++) {
      Plan plan = plans[c];
      String reason = outcomes[c].finishReason();
      if (chat) {
        JsonObject m = new JsonObject().put("role", "assistant").put("content", plan.tool ? null : content[c].toString());
        if (reasoning[c].length() > 0) {
          m.put("reasoning_content", reasoning[c].toString());
        }
        if (plan.tool) {
          m.put("tool_calls", new JsonArray().add(toolCall(c)));
        }
        choices.add(new JsonObject().put("finish_reason", reason).put("index", c).put("message", m));
      } else {
        choices.add(new JsonObject().put("text", content[c].toString()).put("index", c).putNull("logprobs")
            .put("finish_reason", reason));
      }
    }
    Outcome o = outcomes[0];
    return new JsonObject().put("choices", choices).put("created", created).put("model", model)
        .put("system_fingerprint", Outcome.FINGERPRINT).put("object", chat ? "chat.completion" : "text_completion")
        .put("usage", o.usage()).put("id", id).put("timings", o.timings());
  }

  private JsonObject toolCall(int c) {
    Plan plan = plans[c];
    return new JsonObject().put("id", plan.toolCallId).put("type", "function")
        .put("function", new JsonObject().put("name", plan.toolName).put("arguments", toolArgs[c].toString()));
  }
}
