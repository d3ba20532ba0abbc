package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;

/**
 * Writes a generation as server-sent events, ending the way the engine ends its streams. With {@code n} choices
 * every event carries its choice's index and the choices' events interleave as the engine's steps produce them;
 * how each engine opens, ends and counts them:
 * <ul>
 *   <li>llama.cpp (b10587, capture 06d_chat_stream_n2): each choice's role chunk right before its first token,
 *       and each choice ends on its own as soon as it is spent: its finish chunk, then its own usage + timings
 *       event (usage of that one choice), then the next choice goes on; one {@code [DONE]} after the last.
 *       ik_llama.cpp: assumed the same (not captured, not read).
 *   <li>vLLM: {@code vllm/entrypoints/openai/serving_chat.py} (commit 003fe59, 0.10.x),
 *       {@code chat_completion_stream_generator}: on the first output a role chunk for every index
 *       {@code 0..n-1}, then one choice per chunk, the finish reason on each choice's last token, and after all
 *       of them a single usage chunk with {@code completion_tokens = sum(previous_num_tokens)} over the choices.
 *   <li>SGLang: {@code python/sglang/srt/entrypoints/openai/serving_chat.py} (read at commit 002897c),
 *       {@code _generate_chat_stream}: a role chunk for each index at its first output, its tokens, and only
 *       after every choice is done their finish chunks (in the order they finished), then one usage chunk
 *       ({@code UsageProcessor.calculate_streaming_usage}: the prompt once, completion tokens summed).
 * </ul>
 */
final class StreamOutput implements Output {
  private final Engine engine;
  private final HttpServerResponse response;
  private final ChunkFormat format;
  private final Plan[] plans;
  private final boolean chat;
  private final boolean includeUsage;
  /** SGLang's finish chunks wait for the end: the choices in the order they finished. */
  private final int[] finishOrder;
  private int finished;
  private boolean rolesSent;

  StreamOutput(Engine engine, HttpServerResponse response, ChunkFormat format, Plan[] plans, boolean chat,
      boolean includeUsage) {
    this.engine = engine;
    this.response = response;
    this.format = format;
    this.plans = plans;
    this.chat = chat;
    this.includeUsage = includeUsage;
    this.finishOrder = new int[plans.length];
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
    begin(0);
  }

  @Override
  public void begin(int choice) {
    if (!chat) {
      return;
    }
    if (engine != Engine.VLLM) {
      response.write(format.role(choice));
    } else if (!rolesSent) {
      rolesSent = true; // vLLM: every index's role chunk at the first output
      for (int c = 0; c < plans.length; c++) {
        response.write(format.role(c));
      }
    }
  }

  @Override
  public void token(int index, boolean last) {
    token(0, index, last);
  }

  @Override
  public void token(int choice, int index, boolean last) {
    // vLLM is the only engine whose finishing event also carries text
    Plan plan = plans[choice];
    String finish = last && engine == Engine.VLLM ? plan.finishReason(engine) : null;
    response.write(format.token(plan, choice, index, finish));
  }

  @Override
  public void finishChoice(int choice, Outcome o) {
    finishOrder[finished++] = choice;
    if (!engine.llamaFamily()) {
      return; // vLLM finished on the last token; SGLang's finish chunks come at the end
    }
    String reason = o.finishReason();
    String usage = includeUsage ? o.usage().encode() : null;
    String timings = o.timings().encode();
    if (!chat) {
      response.write(format.finish(choice, reason, usage, timings)); // completions: usage rides on the finish event
    } else if (usage != null) {
      response.write(format.finish(choice, reason, null, null));
      response.write(format.usage(usage, timings));
    } else {
      response.write(format.finish(choice, reason, null, timings));
    }
  }

  @Override
  public void finish(Outcome o, boolean omitDone) {
    finish(new Outcome[] {o}, omitDone);
  }

  @Override
  public void finish(Outcome[] outcomes, boolean omitDone) {
    if (engine == Engine.SGLANG) {
      for (int i = 0; i < finished; i++) {
        int c = finishOrder[i];
        response.write(format.finish(c, outcomes[c].finishReason(), null, null));
      }
    }
    if (engine.python() && includeUsage) {
      response.write(format.usage(Outcome.summed(outcomes).usage().encode(), null));
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
