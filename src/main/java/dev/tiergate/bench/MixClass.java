package dev.tiergate.bench;

/** The three kinds of traffic {@code bench mix} replays; each has its own shape and its own lines in the report. */
public enum MixClass {
  /** Short chats a person waits on: streamed, priority interactive. */
  INTERACTIVE("interactive", "interactive"),
  /** Agent turns: a conversation with tools whose context grows turn by turn (tens of thousands of tokens). */
  AGENT("agent", null),
  /** Occasional whole-document prefills of about 100k tokens, priority batch. */
  BATCH("batch", "batch");

  private final String label;
  private final String priority;

  MixClass(String label, String priority) {
    this.label = label;
    this.priority = priority;
  }

  public String label() {
    return label;
  }

  /** The {@code x-tiergate-priority} value the class sends; null: none (the gateway's default). */
  public String priority() {
    return priority;
  }
}
