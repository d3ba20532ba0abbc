package dev.tiergate.stream;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Classifies a streamed JSON event in one pass over its bytes, without building a tree: every
 * string is either a key (followed by a colon) or a value that is skipped whole, so text inside a
 * value can never be mistaken for a key. A key of interest is judged by the first bytes of its value.
 */
public final class EventScanner {
  private static final byte[] DONE = ascii("[DONE]");
  private static final byte[] CONTENT = ascii("content");
  private static final byte[] TEXT = ascii("text");
  private static final byte[] TOOL_CALLS = ascii("tool_calls");
  private static final byte[] REASONING = ascii("reasoning");
  private static final byte[] REASONING_CONTENT = ascii("reasoning_content");
  private static final byte[] USAGE = ascii("usage");
  private static final byte[] CHOICES = ascii("choices");
  private static final byte[] ERROR = ascii("error");
  private static final byte[] FINISH = ascii("finish_reason");
  private static final byte[] TIMINGS = ascii("timings");
  private static final byte[] DELTA = ascii("delta");
  private static final byte[] THINKING = ascii("thinking");
  private static final byte[] PARTIAL_JSON = ascii("partial_json");
  private static final byte[] TYPE = ascii("type");
  private static final byte[] FUNCTION_CALL = ascii("\"function_call\"");
  private static final byte[] TOOL_USE = ascii("\"tool_use\"");

  private EventScanner() {}

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  public static int classify(Buffer b) {
    byte[] a = b.getBytes();
    return classify(a, 0, a.length);
  }

  /** Classifies the JSON in {@code a[from, to)}. */
  public static int classify(byte[] a, int from, int to) {
    int i = skipWs(a, from, to);
    if (startsWith(a, i, to, DONE)) {
      return SseEvent.DONE;
    }
    int flags = 0;
    while (i < to) {
      if (a[i] != '"') {
        i++;
        continue;
      }
      int end = stringEnd(a, i + 1, to);
      int colon = skipWs(a, end + 1, to);
      if (colon < to && a[colon] == ':') {
        int v = skipWs(a, colon + 1, to);
        if (v < to) {
          flags |= keyFlags(a, i + 1, end, v, to);
        }
        i = v;
      } else {
        i = end + 1;
      }
    }
    return flags;
  }

  /**
   * Classifies an event of a named stream by its name, then by the few keys that name makes matter:
   * Responses' {@code response.*_delta} events and Messages' {@code content_block_delta} carry output
   * (reasoning deltas are output but not answer, as for chat); a function call or tool_use block
   * starting is answer output, as chat's first tool-call chunk is; {@code response.completed},
   * {@code response.incomplete} and {@code message_stop} end the stream as {@code [DONE]} does;
   * usage rides on {@code response.completed}, {@code message_start} and {@code message_delta}.
   */
  public static int classifyNamed(String event, byte[] a, int from, int to) {
    switch (event) {
      case EventNames.OUTPUT_TEXT_DELTA, EventNames.REFUSAL_DELTA, EventNames.FUNCTION_ARGS_DELTA:
        return nonEmptyValue(a, from, to, DELTA) ? SseEvent.OUTPUT | SseEvent.ANSWER : 0;
      case EventNames.REASONING_TEXT_DELTA, EventNames.REASONING_SUMMARY_DELTA:
        return nonEmptyValue(a, from, to, DELTA) ? SseEvent.OUTPUT : 0;
      case EventNames.OUTPUT_ITEM_ADDED:
        return hasValue(a, from, to, TYPE, FUNCTION_CALL) ? SseEvent.OUTPUT | SseEvent.ANSWER : 0;
      case EventNames.CONTENT_BLOCK_DELTA:
        if (nonEmptyValue(a, from, to, TEXT) || nonEmptyValue(a, from, to, PARTIAL_JSON)) {
          return SseEvent.OUTPUT | SseEvent.ANSWER;
        }
        return nonEmptyValue(a, from, to, THINKING) ? SseEvent.OUTPUT : 0;
      case EventNames.CONTENT_BLOCK_START:
        return hasValue(a, from, to, TYPE, TOOL_USE) ? SseEvent.OUTPUT | SseEvent.ANSWER : 0;
      case EventNames.RESPONSE_COMPLETED, EventNames.RESPONSE_INCOMPLETE:
        return SseEvent.DONE | SseEvent.FINISH | objectFlag(a, from, to, USAGE, SseEvent.USAGE)
            | objectFlag(a, from, to, TIMINGS, SseEvent.TIMINGS);
      case EventNames.MESSAGE_START:
        return objectFlag(a, from, to, USAGE, SseEvent.USAGE);
      case EventNames.MESSAGE_DELTA:
        return SseEvent.FINISH | objectFlag(a, from, to, USAGE, SseEvent.USAGE);
      case EventNames.MESSAGE_STOP:
        return SseEvent.DONE;
      case EventNames.ERROR, EventNames.RESPONSE_FAILED:
        return SseEvent.ERROR;
      default:
        return 0;
    }
  }

  private static int objectFlag(byte[] a, int from, int to, byte[] key, int flag) {
    int v = find(a, from, to, key, false);
    return v >= 0 && a[v] == '{' ? flag : 0;
  }

  private static boolean nonEmptyValue(byte[] a, int from, int to, byte[] key) {
    int v = find(a, from, to, key, false);
    return v >= 0 && nonEmptyString(a, v, to);
  }

  /** Whether any key {@code key} (at any depth) holds exactly the JSON string {@code quoted}. */
  private static boolean hasValue(byte[] a, int from, int to, byte[] key, byte[] quoted) {
    int i = from;
    while (i < to) {
      int v = find(a, i, to, key, false);
      if (v < 0) {
        return false;
      }
      if (to - v >= quoted.length && java.util.Arrays.equals(a, v, v + quoted.length, quoted, 0, quoted.length)) {
        return true;
      }
      i = v;
    }
    return false;
  }

  private static int keyFlags(byte[] a, int ks, int ke, int v, int to) {
    byte first = a[v];
    switch (ke - ks) {
      case 4:
        return is(a, ks, TEXT) && nonEmptyString(a, v, to) ? SseEvent.OUTPUT | SseEvent.ANSWER : 0;
      case 5:
        if (is(a, ks, USAGE)) {
          return first == '{' ? SseEvent.USAGE : 0;
        }
        return is(a, ks, ERROR) && (first == '{' || first == '"') ? SseEvent.ERROR : 0;
      case 7:
        if (is(a, ks, CONTENT)) {
          return nonEmptyString(a, v, to) ? SseEvent.OUTPUT | SseEvent.ANSWER : 0;
        }
        if (is(a, ks, CHOICES)) {
          return first == '[' && next(a, v + 1, to) == ']' ? SseEvent.NO_CHOICES : 0;
        }
        return is(a, ks, TIMINGS) && first == '{' ? SseEvent.TIMINGS : 0;
      case 9:
        return is(a, ks, REASONING) && nonEmptyString(a, v, to) ? SseEvent.OUTPUT : 0;
      case 10:
        return is(a, ks, TOOL_CALLS) && first == '[' && next(a, v + 1, to) != ']' ? SseEvent.OUTPUT | SseEvent.ANSWER : 0;
      case 13:
        return is(a, ks, FINISH) && first == '"' ? SseEvent.FINISH : 0;
      case 17:
        return is(a, ks, REASONING_CONTENT) && nonEmptyString(a, v, to) ? SseEvent.OUTPUT : 0;
      default:
        return 0;
    }
  }

  private static boolean nonEmptyString(byte[] a, int v, int to) {
    return a[v] == '"' && v + 1 < to && a[v + 1] != '"';
  }

  private static boolean is(byte[] a, int at, byte[] key) {
    for (int k = 0; k < key.length; k++) {
      if (a[at + k] != key[k]) {
        return false;
      }
    }
    return true;
  }

  /** Index of the closing quote of a string whose first content byte is at {@code i}. */
  static int stringEnd(byte[] a, int i, int to) {
    while (i < to) {
      byte c = a[i];
      if (c == '\\') {
        i += 2;
      } else if (c == '"') {
        return i;
      } else {
        i++;
      }
    }
    return to;
  }

  /**
   * Index of the first byte of the value of top-level-or-nested key {@code key} (given without
   * quotes), or -1. The same key/value discipline as {@link #classify}.
   */
  public static int valueAt(byte[] a, byte[] key) {
    return find(a, key, false);
  }

  /** Like {@link #valueAt}, but only for a key of the outermost object. */
  public static int topLevelValueAt(byte[] a, byte[] key) {
    return find(a, key, true);
  }

  private static int find(byte[] a, byte[] key, boolean outermostOnly) {
    return find(a, 0, a.length, key, outermostOnly);
  }

  private static int find(byte[] a, int from, int to, byte[] key, boolean outermostOnly) {
    int depth = 0;
    int i = from;
    while (i < to) {
      byte c = a[i];
      if (c != '"') {
        depth += c == '{' || c == '[' ? 1 : c == '}' || c == ']' ? -1 : 0;
        i++;
        continue;
      }
      int end = stringEnd(a, i + 1, to);
      int colon = skipWs(a, end + 1, to);
      if (colon < to && a[colon] == ':') {
        int v = skipWs(a, colon + 1, to);
        if ((!outermostOnly || depth == 1) && end - i - 1 == key.length && is(a, i + 1, key)) {
          return v < to ? v : -1;
        }
        i = v;
      } else {
        i = end + 1;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] a, int at, int to, byte[] prefix) {
    if (to - at < prefix.length) {
      return false;
    }
    return is(a, at, prefix);
  }

  private static int skipWs(byte[] a, int i, int to) {
    while (i < to) {
      byte c = a[i];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        break;
      }
      i++;
    }
    return i;
  }

  private static int next(byte[] a, int i, int to) {
    int j = skipWs(a, i, to);
    return j < to ? a[j] : -1;
  }
}
