package dev.tiergate.stream;

import dev.tiergate.errors.ErrorJson;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Small byte-level edits of compact JSON events, so relaying does not parse every chunk. */
public final class JsonBytes {
  private JsonBytes() {}

  public static byte[] key(String name) {
    return ("\"" + name + "\"").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Replaces the first string value of {@code key} with {@code rawJsonString} (already quoted).
   * Returns {@code data} itself when the key is absent or already holds that value.
   */
  public static Buffer replaceString(Buffer data, byte[] key, byte[] rawJsonString) {
    int v = EventScanner.valueAt(data, key);
    if (v < 0 || data.getByte(v) != '"') {
      return data;
    }
    int end = stringEnd(data, v);
    if (end - v == rawJsonString.length && same(data, v, rawJsonString)) {
      return data;
    }
    Buffer out = Buffer.buffer(data.length() - (end - v) + rawJsonString.length);
    out.appendBuffer(data, 0, v).appendBytes(rawJsonString).appendBuffer(data, end, data.length() - end);
    return out;
  }

  /** Index just past the closing quote of the string starting at {@code start}. */
  static int stringEnd(Buffer b, int start) {
    int n = b.length();
    for (int i = start + 1; i < n; i++) {
      byte c = b.getByte(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return i + 1;
      }
    }
    return n;
  }

  private static boolean same(Buffer b, int at, byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      if (b.getByte(at + i) != bytes[i]) {
        return false;
      }
    }
    return true;
  }

  /** JSON string literal of {@code s}, quoted and escaped. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    ErrorJson.quote(sb, s);
    return sb.toString();
  }
}
