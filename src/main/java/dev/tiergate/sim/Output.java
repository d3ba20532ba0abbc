package dev.tiergate.sim;

/** Where a generation's tokens go: SSE events as they happen, or one JSON body at the end. */
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
}
