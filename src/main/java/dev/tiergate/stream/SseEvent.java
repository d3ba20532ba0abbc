package dev.tiergate.stream;

import io.vertx.core.buffer.Buffer;

/**
 * One server-sent event's data payload (without {@code data: } and the blank line), its
 * {@code event:} name when the stream names its events (Responses, Messages; chat streams do not),
 * and what a byte scan found in it. The payload is usually a slice of the network buffer, not a copy.
 */
public record SseEvent(Buffer data, int flags, String event) {
  /** The {@code [DONE]} sentinel, or a named stream's last event ({@code message_stop}, {@code response.completed}). */
  public static final int DONE = 1;
  /** A top-level {@code error} object, or an {@code error} / {@code response.failed} event: the engine failed mid-stream. */
  public static final int ERROR = 1 << 1;
  /** Carries a non-null {@code usage} object. */
  public static final int USAGE = 1 << 2;
  /** {@code "choices":[]}: the extra usage event that only exists because we asked for it. */
  public static final int NO_CHOICES = 1 << 3;
  /** Carries generated output: content, reasoning, a tool call or completion text. */
  public static final int OUTPUT = 1 << 4;
  /** Output that is part of the answer (content, tool call, text), not reasoning. */
  public static final int ANSWER = 1 << 5;
  /** A non-null {@code finish_reason}, or a named stream's stop reason. */
  public static final int FINISH = 1 << 6;
  /** llama.cpp-style {@code timings}. */
  public static final int TIMINGS = 1 << 7;

  public SseEvent(Buffer data, int flags) {
    this(data, flags, null);
  }

  public static SseEvent of(Buffer data) {
    return new SseEvent(data, EventScanner.classify(data));
  }

  /** An event of a named stream ({@code event: name}), classified by its name and payload. */
  public static SseEvent of(String event, Buffer data) {
    if (event == null) {
      return of(data);
    }
    byte[] a = data.getBytes();
    return new SseEvent(data, EventScanner.classifyNamed(event, a, 0, a.length), event);
  }

  public boolean is(int flag) {
    return (flags & flag) != 0;
  }

  /** The usage-only event with no choices, which a client that did not ask for usage must not see. */
  public boolean isUsageOnly() {
    return is(USAGE) && is(NO_CHOICES) && !is(OUTPUT);
  }
}
