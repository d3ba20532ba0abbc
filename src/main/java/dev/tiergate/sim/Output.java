package dev.tiergate.sim;

/**
 * Where a generation's tokens go: SSE events as they happen, or one JSON body at the end. The single-choice
 * methods serve every API; chat and completions also take {@code n} choices through the choice-numbered ones,
 * which by default fall back to the single-choice methods (the APIs that have no {@code n}).
 */
interface Output {
  /** The request left the loading hold and prefill starts: a stream commits its status and headers now. */
  void open();

  /** Prefill finished: a chat stream sends its role-only chunk right before the first token. */
  void begin();

  void token(int index, boolean last);

  void finish(Outcome outcome, boolean omitDone);

  /** An engine-side failure after output started (fault {@code error-mid}). */
  void midError();

  /** Cut the connection without a proper end (fault {@code drop-mid}). */
  void drop();

  boolean writeQueueFull();

  void onDrain(Runnable resume);

  /** Choice {@code choice}'s first token is next (or the role is sent early). */
  default void begin(int choice) {
    begin();
  }

  default void token(int choice, int index, boolean last) {
    token(index, last);
  }

  /** One choice is spent; a stream that ends each choice on its own (llama.cpp) says so now. */
  default void finishChoice(int choice, Outcome outcome) {
  }

  /** Every choice is spent (outcomes by choice index): the answer ends. */
  default void finish(Outcome[] outcomes, boolean omitDone) {
    finish(outcomes[0], omitDone);
  }
}
