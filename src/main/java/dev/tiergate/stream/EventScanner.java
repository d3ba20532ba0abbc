package dev.tiergate.stream;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Classifies a streamed JSON event by scanning its bytes for a few keys, without building a tree.
 * Key matches are safe inside string values: a quote within a JSON string is always escaped, so
 * {@code "content":} can only match a real key.
 */
public final class EventScanner {
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT = key("content");
  private static final byte[] REASONING = key("reasoning");
  private static final byte[] REASONING_CONTENT = key("reasoning_content");
  private static final byte[] TOOL_CALLS = key("tool_calls");
  private static final byte[] TEXT = key("text");
  private static final byte[] USAGE = key("usage");
  private static final byte[] CHOICES = key("choices");
  private static final byte[] ERROR = key("error");
  private static final byte[] FINISH = key("finish_reason");
  private static final byte[] TIMINGS = key("timings");

  private EventScanner() {}

  private static byte[] key(String k) {
    return ("\"" + k + "\"").getBytes(StandardCharsets.US_ASCII);
  }

  public static int classify(Buffer b) {
    int len = b.length();
    int start = skipWs(b, 0, len);
    if (startsWith(b, start, DONE)) {
      return SseEvent.DONE;
    }
    int flags = 0;
    if (nonEmptyString(b, CONTENT) || nonEmptyArray(b, TOOL_CALLS) || nonEmptyString(b, TEXT)) {
      flags |= SseEvent.OUTPUT | SseEvent.ANSWER;
    }
    if (nonEmptyString(b, REASONING_CONTENT) || nonEmptyString(b, REASONING)) {
      flags |= SseEvent.OUTPUT;
    }
    if (valueStartsWith(b, USAGE, '{')) {
      flags |= SseEvent.USAGE;
    }
    int choices = valueAt(b, CHOICES);
    if (choices >= 0 && b.getByte(choices) == '[' && skipWsByte(b, choices + 1, len) == ']') {
      flags |= SseEvent.NO_CHOICES;
    }
    if (valueStartsWith(b, ERROR, '{') || valueStartsWith(b, ERROR, '"')) {
      flags |= SseEvent.ERROR;
    }
    if (valueStartsWith(b, FINISH, '"')) {
      flags |= SseEvent.FINISH;
    }
    if (valueStartsWith(b, TIMINGS, '{')) {
      flags |= SseEvent.TIMINGS;
    }
    return flags;
  }

  private static boolean nonEmptyString(Buffer b, byte[] key) {
    int from = 0;
    int v;
    while ((v = valueAt(b, key, from)) >= 0) {
      if (b.getByte(v) == '"' && v + 1 < b.length() && b.getByte(v + 1) != '"') {
        return true;
      }
      from = v;
    }
    return false;
  }

  private static boolean nonEmptyArray(Buffer b, byte[] key) {
    int v = valueAt(b, key);
    return v >= 0 && b.getByte(v) == '[' && skipWsByte(b, v + 1, b.length()) != ']';
  }

  private static boolean valueStartsWith(Buffer b, byte[] key, char c) {
    int v = valueAt(b, key);
    return v >= 0 && b.getByte(v) == c;
  }

  static int valueAt(Buffer b, byte[] key) {
    return valueAt(b, key, 0);
  }

  /** Index of the first byte of the value of {@code key} at or after {@code from}, or -1. */
  static int valueAt(Buffer b, byte[] key, int from) {
    int len = b.length();
    int i = indexOf(b, key, from, len);
    while (i >= 0) {
      int j = skipWs(b, i + key.length, len);
      if (j < len && b.getByte(j) == ':') {
        int v = skipWs(b, j + 1, len);
        return v < len ? v : -1;
      }
      i = indexOf(b, key, i + 1, len);
    }
    return -1;
  }

  static int indexOf(Buffer b, byte[] needle, int from, int len) {
    byte first = needle[0];
    int last = len - needle.length;
    outer:
    for (int i = from; i <= last; i++) {
      if (b.getByte(i) != first) {
        continue;
      }
      for (int k = 1; k < needle.length; k++) {
        if (b.getByte(i + k) != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static boolean startsWith(Buffer b, int at, byte[] prefix) {
    if (b.length() - at < prefix.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (b.getByte(at + k) != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  private static int skipWs(Buffer b, int i, int len) {
    while (i < len) {
      byte c = b.getByte(i);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        break;
      }
      i++;
    }
    return i;
  }

  private static int skipWsByte(Buffer b, int i, int len) {
    int j = skipWs(b, i, len);
    return j < len ? b.getByte(j) : -1;
  }
}
