package dev.tiergate.upstream;

import dev.tiergate.upstream.RequestBody.Field;
import io.vertx.core.buffer.Buffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects edits of top-level fields and writes the patched body in one pass of slice copies.
 * Values are raw JSON text (already quoted/escaped by the caller).
 */
public final class BodyEditor {
  private final RequestBody body;
  private final Map<String, String> set = new LinkedHashMap<>();
  private final Map<String, String> renames = new LinkedHashMap<>();

  BodyEditor(RequestBody body) {
    this.body = body;
  }

  /** Replaces the field's value, or adds the field when absent. */
  public BodyEditor set(String name, String rawJson) {
    set.put(name, rawJson);
    return this;
  }

  public BodyEditor remove(String name) {
    set.put(name, null);
    return this;
  }

  /** Renames a field keeping its value; when {@code to} already exists the old field is dropped. */
  public BodyEditor rename(String from, String to) {
    renames.put(from, to);
    return this;
  }

  public boolean isEmpty() {
    return set.isEmpty() && renames.isEmpty();
  }

  public Buffer build() {
    if (isEmpty()) {
      return body.bytes();
    }
    Buffer src = body.bytes();
    Buffer out = Buffer.buffer(src.length() + 128);
    int open = body.objectStart() + 1;
    out.appendBuffer(src, 0, open);
    boolean first = true;
    for (Map.Entry<String, String> e : set.entrySet()) {
      if (e.getValue() != null && body.field(e.getKey()) == null && !renamedInto(e.getKey())) {
        first = appendField(out, first, e.getKey(), e.getValue());
      }
    }
    for (Field f : body.fields()) {
      String name = f.name();
      String value = null;
      if (renames.containsKey(name)) {
        String to = renames.get(name);
        if (body.field(to) != null || set.containsKey(to)) {
          continue;
        }
        name = to;
      }
      if (set.containsKey(f.name())) {
        value = set.get(f.name());
        if (value == null) {
          continue;
        }
      }
      if (!first) {
        out.appendByte((byte) ',');
      }
      first = false;
      if (name.equals(f.name())) {
        out.appendBuffer(src, f.keyStart(), f.valueStart() - f.keyStart());
      } else {
        appendKey(out, name);
      }
      if (value != null) {
        out.appendString(value);
      } else {
        out.appendBuffer(src, f.valueStart(), f.valueEnd() - f.valueStart());
      }
    }
    out.appendByte((byte) '}');
    return out;
  }

  private boolean renamedInto(String name) {
    return renames.containsValue(name);
  }

  private static boolean appendField(Buffer out, boolean first, String name, String value) {
    if (!first) {
      out.appendByte((byte) ',');
    }
    appendKey(out, name);
    out.appendString(value);
    return false;
  }

  private static void appendKey(Buffer out, String name) {
    out.appendByte((byte) '"').appendString(name).appendString("\":");
  }
}
