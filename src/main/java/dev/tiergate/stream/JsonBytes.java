package dev.tiergate.stream;

import dev.tiergate.errors.ErrorJson;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Small byte-level edits of compact JSON events, so relaying does not parse every chunk. */
public final class JsonBytes {
  private JsonBytes() {}

  /** A key as {@link #replaceString} expects it: the name without quotes. */
  public static byte[] key(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Replaces the first string value of {@code key} with {@code rawJsonString} (already quoted).
   * Returns {@code data} itself when the key is absent or already holds that value.
   */
  public static Buffer replaceString(Buffer data, byte[] key, byte[] rawJsonString) {
    return replace(data, key, rawJsonString, false);
  }

  /** Like {@link #replaceString}, for a key of the outermost object only (a response's own {@code model}). */
  public static Buffer replaceTopLevelString(Buffer data, byte[] key, byte[] rawJsonString) {
    return replace(data, key, rawJsonString, true);
  }

  private static Buffer replace(Buffer data, byte[] key, byte[] rawJsonString, boolean topLevel) {
    byte[] a = data.getBytes();
    int v = topLevel ? EventScanner.topLevelValueAt(a, key) : EventScanner.valueAt(a, key);
    if (v < 0 || a[v] != '"') {
      return data;
    }
    int end = EventScanner.stringEnd(a, v + 1, a.length) + 1;
    if (end - v == rawJsonString.length && java.util.Arrays.equals(a, v, end, rawJsonString, 0, rawJsonString.length)) {
      return data;
    }
    Buffer out = Buffer.buffer(a.length - (end - v) + rawJsonString.length);
    return out.appendBytes(a, 0, v).appendBytes(rawJsonString).appendBytes(a, end, a.length - end);
  }

  /** JSON string literal of {@code s}, quoted and escaped. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    ErrorJson.quote(sb, s);
    return sb.toString();
  }
}
