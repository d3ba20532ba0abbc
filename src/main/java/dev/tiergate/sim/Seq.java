package dev.tiergate.sim;

/**
 * One request as the engine's scheduler sees it: a prompt to prefill, then tokens to decode. The scheduler owns
 * every field; the request only hears about its tokens through its {@link Sink}.
 */
final class Seq {
  enum State { NEW, WAITING, PREFILL, DECODE, GONE }

  /** Where the scheduler delivers tokens; the first call is the token that ends the prefill. */
  interface Sink {
    /** @return false when the sequence takes no more tokens for now (it ended, or its reader is slow) */
    boolean token();
  }

  final long taskId;
  final int promptTokens;
  /** Tokens per step relative to the engine's own decode rate (a request may ask for its own rate). */
  final double ratio;
  /** What the request asked for, -1 when it set no limit; shown by llama.cpp's /slots. */
  final int maxTokens;
  final boolean stream;
  final Sink sink;
  /**
   * The sequence whose prompt this one shares (another of the request's {@code n} choices), null for the first.
   * It never prefills: it waits until the parent's prompt is done and starts decoding from its state, as
   * llama.cpp's child slots do (SLOT_STATE_WAIT_OTHER, then copy_state_to) and vLLM's prefix cache makes the
   * children's prompt nearly free.
   */
  final Seq parent;

  State state = State.NEW;
  int slot = -1;
  /** True once any step worked on it: before that the Python engines still count it as waiting. */
  boolean started;
  boolean held;
  int prefilled;
  int generated;
  double credit;
  /** Prompt tokens this sequence carries in the step under way. */
  int chunk;
  /** With no shared step: when this prompt is done, on the scheduler's clock. */
  long prefillDoneAt;

  Seq(long taskId, int promptTokens, double ratio, int maxTokens, boolean stream, Sink sink) {
    this(taskId, promptTokens, ratio, maxTokens, stream, sink, null);
  }

  Seq(long taskId, int promptTokens, double ratio, int maxTokens, boolean stream, Sink sink, Seq parent) {
    this.taskId = taskId;
    this.parent = parent;
    this.promptTokens = Math.max(1, promptTokens);
    this.ratio = ratio;
    this.maxTokens = maxTokens;
    this.stream = stream;
    this.sink = sink;
  }

  boolean admitted() {
    return state == State.PREFILL || state == State.DECODE;
  }

  /** True once the prompt is in the KV cache: a child may start from it. */
  boolean prompted() {
    return prefilled >= promptTokens;
  }

  /** Tokens this sequence holds in the KV cache. */
  long kvTokens() {
    return admitted() ? (long) prefilled + generated : 0;
  }
}
