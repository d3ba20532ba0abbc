package dev.tiergate.stream;

import io.vertx.core.buffer.Buffer;

/**
 * One server-sent event's data payload (without {@code data: } and the blank line) plus what a
 * byte scan found in it. The payload is usually a slice of the network buffer, not a copy.
 */
public record SseEvent(Buffer data, int flags) {
  /** The {@code [DONE]} sentinel. */
  public static final int DONE = 1;
  /** A top-level {@code error} object: the engine failed mid-stream. */
  public static final int ERROR = 1 << 1;
  /** Carries a non-null {@code usage} object. */
  public static final int USAGE = 1 << 2;
  /** {@code "choices":[]}: the extra usage event that only exists because we asked for it. */
  public static final int NO_CHOICES = 1 << 3;
  /** Carries generated output: content, reasoning, a tool call or completion text. */
  public static final int OUTPUT = 1 << 4;
  /** Output that is part of the answer (content, tool call, text), not reasoning. */
  public static final int ANSWER = 1 << 5;
  /** A non-null {@code finish_reason}. */
  public static final int FINISH = 1 << 6;
  /** llama.cpp-style {@code timings}. */
  public static final int TIMINGS = 1 << 7;

  public static SseEvent of(Buffer data) {
    return new SseEvent(data, EventScanner.classify(data));
  }

  public boolean is(int flag) {
    return (flags & flag) != 0;
  }

  /** The usage-only event with no choices, which a client that did not ask for usage must not see. */
  public boolean isUsageOnly() {
    return is(USAGE) && is(NO_CHOICES) && !is(OUTPUT);
  }
}
