package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * OpenAI's Responses answer as the engine writes it, streamed or whole. llama.cpp (captures
 * 16a/16b): no {@code sequence_number} and no {@code output_index} on its events, usage inside
 * {@code response.completed} plus its {@code timings}. vLLM and SGLang
 * ({@code vllm/entrypoints/openai/serving_responses.py}): every event numbered, deltas carry
 * {@code output_index} and {@code content_index}. Reasoning is a {@code reasoning} item
 * ({@code response.reasoning_text.delta}), a tool call a {@code function_call} item.
 */
final class ResponsesOutput implements Output {
  private enum Kind { NONE, REASONING, MESSAGE, CALL }

  private final Engine engine;
  private final HttpServerResponse response;
  private final Plan plan;
  private final boolean stream;
  private final String id;
  private final String model;
  private final long created = System.currentTimeMillis() / 1000;
  private final JsonArray output = new JsonArray();
  private Kind kind = Kind.NONE;
  private JsonObject item;
  private StringBuilder text;
  private int sequence;

  ResponsesOutput(Engine engine, HttpServerResponse response, Plan plan, boolean stream, String id, String model) {
    this.engine = engine;
    this.response = response;
    this.plan = plan;
    this.stream = stream;
    this.id = id;
    this.model = model;
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
      JsonObject r = engine.llamaFamily()
          ? new JsonObject().put("id", id).put("object", "response").put("status", "in_progress")
          : response("in_progress", null);
      write("response.created", new JsonObject().put("response", r));
      write("response.in_progress", new JsonObject().put("response", r));
    }
  }

  @Override
  public void token(int i, boolean last) {
    String raw = plan.rawAt(i);
    switch (plan.kindAt(i)) {
      case REASONING -> {
        open(Kind.REASONING);
        text.append(raw);
        write("response.reasoning_text.delta", atPart().put("delta", raw));
      }
      case CONTENT -> {
        open(Kind.MESSAGE);
        text.append(raw);
        write("response.output_text.delta", atPart().put("delta", raw));
      }
      case TOOL_START -> open(Kind.CALL);
      case TOOL_ARGS -> {
        text.append(raw);
        write("response.function_call_arguments.delta", at().put("delta", raw));
      }
    }
  }

  private JsonObject at() {
    JsonObject o = new JsonObject().put("item_id", item.getString("id"));
    if (!engine.llamaFamily()) {
      o.put("output_index", output.size() - 1);
    }
    return o;
  }

  /** A delta's position within its item: vLLM says which content part; llama.cpp does not (16b). */
  private JsonObject atPart() {
    JsonObject o = at();
    return engine.llamaFamily() ? o : o.put("content_index", 0);
  }

  private void open(Kind k) {
    if (kind == k) {
      return;
    }
    close();
    kind = k;
    text = new StringBuilder();
    item = switch (k) {
      case REASONING -> new JsonObject().put("id", "rs_" + Plan.randomId(32)).put("type", "reasoning")
          .put("summary", new JsonArray()).put("content", new JsonArray().add(new JsonObject().put("type", "reasoning_text")
              .put("text", "")));
      case MESSAGE -> new JsonObject().put("content", new JsonArray()).put("id", "msg_" + Plan.randomId(32))
          .put("role", "assistant").put("status", "in_progress").put("type", "message");
      default -> new JsonObject().put("id", "fc_" + Plan.randomId(32)).put("type", "function_call")
          .put("status", "in_progress").put("call_id", plan.toolCallId).put("name", plan.toolName).put("arguments", "");
    };
    output.add(item);
    write("response.output_item.added", index().put("item", item.copy()));
    if (k == Kind.MESSAGE) {
      // llama.cpp announces an empty part without annotations (16b)
      write("response.content_part.added", atPart().put("part", engine.llamaFamily()
          ? new JsonObject().put("type", "output_text").put("text", "") : part("")));
    }
  }

  private JsonObject index() {
    return engine.llamaFamily() ? new JsonObject() : new JsonObject().put("output_index", output.size() - 1);
  }

  private static JsonObject part(String t) {
    return new JsonObject().put("type", "output_text").put("annotations", new JsonArray()).put("logprobs", new JsonArray())
        .put("text", t);
  }

  private void close() {
    if (kind == Kind.NONE) {
      return;
    }
    String t = text.toString();
    switch (kind) {
      case REASONING -> {
        write("response.reasoning_text.done", atPart().put("text", t));
        item.getJsonArray("content").getJsonObject(0).put("text", t);
      }
      case MESSAGE -> {
        write("response.output_text.done", atPart().put("text", t));
        write("response.content_part.done", atPart().put("part", part(t)));
        item.getJsonArray("content").add(part(t));
        item.put("status", "completed");
      }
      default -> {
        write("response.function_call_arguments.done", at().put("arguments", t));
        item.put("arguments", t).put("status", "completed");
      }
    }
    write("response.output_item.done", index().put("item", item));
    kind = Kind.NONE;
  }

  private JsonObject response(String status, Outcome o) {
    JsonObject r = new JsonObject().put("id", id).put("object", "response").put("created_at", created).put("status", status)
        .put("model", model).put("output", o == null ? new JsonArray() : output);
    if (o == null) {
      return r.putNull("usage");
    }
    if ("incomplete".equals(status)) {
      r.put("incomplete_details", new JsonObject().put("reason", "max_output_tokens"));
    }
    JsonObject usage = new JsonObject().put("input_tokens", o.promptTokens()).put("output_tokens", o.completionTokens())
        .put("total_tokens", o.promptTokens() + o.completionTokens())
        .put("input_tokens_details", new JsonObject().put("cached_tokens", 0));
    if (!engine.llamaFamily()) {
      usage.put("output_tokens_details", new JsonObject().put("reasoning_tokens", Math.min(plan.reasoning, o.completionTokens())));
    }
    return r.put("usage", usage);
  }

  @Override
  public void finish(Outcome o, boolean omitDone) {
    close();
    // the sim's finish reason "length" is a budget that ran out: the response is incomplete
    String status = "length".equals(o.finishReason()) && !engine.llamaFamily() ? "incomplete" : "completed";
    JsonObject r = response(status, o);
    if (!stream) {
      if (engine.llamaFamily()) {
        r.put("completed_at", created); // only on the whole answer (16a, not 16b)
      }
      SimServer.json(engine, response, 200, r.encode());
      return;
    }
    if (!omitDone) {
      JsonObject ev = new JsonObject().put("response", r);
      if (o.timings() != null) {
        ev.put("timings", o.timings());
      }
      write("incomplete".equals(status) ? "response.incomplete" : "response.completed", ev);
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
    write("error", new JsonObject().put("code", "server_error").put("message", "simulated engine failure mid-stream")
        .putNull("param"));
    response.end();
  }

  private void write(String event, JsonObject data) {
    if (!stream) {
      return;
    }
    JsonObject ev = new JsonObject().put("type", event);
    data.forEach(e -> ev.put(e.getKey(), e.getValue()));
    if (!engine.llamaFamily()) {
      ev.put("sequence_number", sequence++);
    }
    response.write(Buffer.buffer("event: " + event + "\ndata: " + ev.encode() + "\n\n"));
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
