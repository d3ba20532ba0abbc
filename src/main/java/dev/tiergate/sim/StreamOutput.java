package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;

/** Writes a generation as server-sent events, ending the way the engine ends its streams. */
final class StreamOutput implements Output {
  private final Engine engine;
  private final HttpServerResponse response;
  private final ChunkFormat format;
  private final Plan plan;
  private final boolean chat;
  private final boolean includeUsage;

  StreamOutput(Engine engine, HttpServerResponse response, ChunkFormat format, Plan plan, boolean chat,
      boolean includeUsage) {
    this.engine = engine;
    this.response = response;
    this.format = format;
    this.plan = plan;
    this.chat = chat;
    this.includeUsage = includeUsage;
  }

  static void startStream(Engine engine, HttpServerResponse response) {
    response.setChunked(true)
        .putHeader("Content-Type", engine.python() ? "text/event-stream; charset=utf-8" : "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    if (engine.llamaFamily()) {
      response.putHeader("X-Accel-Buffering", "no");
    }
    response.writeHead();
  }

  @Override
  public void open() {
    startStream(engine, response);
  }

  @Override
  public void begin() {
    if (chat) {
      response.write(format.role());
    }
  }

  @Override
  public void token(int index, boolean last) {
    // vLLM is the only engine whose finishing event also carries text
    String finish = last && engine == Engine.VLLM ? plan.finishReason(engine) : null;
    response.write(format.token(plan, index, finish));
  }

  @Override
  public void finish(Outcome o, boolean omitDone) {
    String reason = o.finishReason();
    String usage = includeUsage ? o.usage().encode() : null;
    String timings = o.timings() == null ? null : o.timings().encode();
    switch (engine) {
      case VLLM -> {
        if (usage != null) {
          response.write(format.usage(usage, null));
        }
      }
      case SGLANG -> {
        response.write(format.finish(reason, null, null));
        if (usage != null) {
          response.write(format.usage(usage, null));
        }
      }
      case LLAMACPP, IKLLAMA -> {
        if (!chat) {
          response.write(format.finish(reason, usage, timings)); // completions: usage rides on the finish event
        } else if (usage != null) {
          response.write(format.finish(reason, null, null));
          response.write(format.usage(usage, timings));
        } else {
          response.write(format.finish(reason, null, timings));
        }
      }
    }
    if (!omitDone) {
      response.write(ChunkFormat.DONE);
    }
    response.end();
  }

  @Override
  public void midError() {
    response.write(format.data(Errors.streamEvent(engine, 500, "simulated engine failure mid-stream",
        Errors.typeFor(engine, 500))));
    if (engine.python()) {
      response.write(ChunkFormat.DONE); // vLLM and SGLang close every stream with [DONE], even a failed one
    }
    response.end();
  }

  @Override
  public void drop() {
    response.reset();
  }

  @Override
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  public void onDrain(Runnable resume) {
    response.drainHandler(v -> resume.run());
  }
}
