package dev.tiergate.stream;

import java.nio.charset.StandardCharsets;

/**
 * The {@code event:} names of OpenAI's Responses stream and Anthropic's Messages stream, as shared
 * constants: a named stream repeats a handful of names thousands of times, so the framer hands out
 * these instances instead of a new string per event.
 */
public final class EventNames {
  public static final String RESPONSE_CREATED = "response.created";
  public static final String RESPONSE_IN_PROGRESS = "response.in_progress";
  public static final String OUTPUT_ITEM_ADDED = "response.output_item.added";
  public static final String OUTPUT_ITEM_DONE = "response.output_item.done";
  public static final String CONTENT_PART_ADDED = "response.content_part.added";
  public static final String CONTENT_PART_DONE = "response.content_part.done";
  public static final String OUTPUT_TEXT_DELTA = "response.output_text.delta";
  public static final String OUTPUT_TEXT_DONE = "response.output_text.done";
  public static final String REFUSAL_DELTA = "response.refusal.delta";
  public static final String REASONING_TEXT_DELTA = "response.reasoning_text.delta";
  public static final String REASONING_TEXT_DONE = "response.reasoning_text.done";
  public static final String REASONING_SUMMARY_DELTA = "response.reasoning_summary_text.delta";
  public static final String FUNCTION_ARGS_DELTA = "response.function_call_arguments.delta";
  public static final String FUNCTION_ARGS_DONE = "response.function_call_arguments.done";
  public static final String RESPONSE_COMPLETED = "response.completed";
  public static final String RESPONSE_INCOMPLETE = "response.incomplete";
  public static final String RESPONSE_FAILED = "response.failed";
  public static final String MESSAGE_START = "message_start";
  public static final String CONTENT_BLOCK_START = "content_block_start";
  public static final String CONTENT_BLOCK_DELTA = "content_block_delta";
  public static final String CONTENT_BLOCK_STOP = "content_block_stop";
  public static final String MESSAGE_DELTA = "message_delta";
  public static final String MESSAGE_STOP = "message_stop";
  public static final String PING = "ping";
  public static final String ERROR = "error";

  private static final String[] KNOWN = {
    CONTENT_BLOCK_DELTA, OUTPUT_TEXT_DELTA, FUNCTION_ARGS_DELTA, REASONING_TEXT_DELTA, REASONING_SUMMARY_DELTA,
    MESSAGE_START, CONTENT_BLOCK_START, CONTENT_BLOCK_STOP, MESSAGE_DELTA, MESSAGE_STOP, PING, ERROR,
    RESPONSE_CREATED, RESPONSE_IN_PROGRESS, OUTPUT_ITEM_ADDED, OUTPUT_ITEM_DONE, CONTENT_PART_ADDED, CONTENT_PART_DONE,
    OUTPUT_TEXT_DONE, REFUSAL_DELTA, REASONING_TEXT_DONE, FUNCTION_ARGS_DONE, RESPONSE_COMPLETED, RESPONSE_INCOMPLETE,
    RESPONSE_FAILED
  };
  private static final byte[][] KNOWN_BYTES = new byte[KNOWN.length][];

  static {
    for (int i = 0; i < KNOWN.length; i++) {
      KNOWN_BYTES[i] = KNOWN[i].getBytes(StandardCharsets.US_ASCII);
    }
  }

  private EventNames() {}

  /** The name in {@code a[from, to)}: a shared constant when it is a known name, else a new string. */
  static String of(byte[] a, int from, int to) {
    int n = to - from;
    for (int i = 0; i < KNOWN_BYTES.length; i++) {
      byte[] k = KNOWN_BYTES[i];
      if (k.length == n && java.util.Arrays.equals(a, from, to, k, 0, n)) {
        return KNOWN[i];
      }
    }
    return new String(a, from, n, StandardCharsets.UTF_8);
  }
}
