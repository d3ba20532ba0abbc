package dev.tiergate.upstream;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The client's JSON body as received, plus where each top-level field sits in it, so adapters can
 * replace, add, rename or drop fields by splicing bytes instead of re-serializing the whole body
 * (a 200k-token conversation is ~1 MB; re-encoding it per request would dominate the hot path).
 */
public final class RequestBody {
  /** One top-level field: the key's opening quote, the value's first and one-past-last byte. */
  public record Field(String name, int keyStart, int valueStart, int valueEnd) {}

  private final Buffer bytes;
  private final List<Field> fields;
  private final int objectStart;

  public RequestBody(Buffer bytes, List<Field> fields, int objectStart) {
    this.bytes = bytes;
    this.fields = Collections.unmodifiableList(new ArrayList<>(fields));
    this.objectStart = objectStart;
  }

  public Buffer bytes() {
    return bytes;
  }

  public List<Field> fields() {
    return fields;
  }

  /** Offset of the opening brace of the top-level object. */
  public int objectStart() {
    return objectStart;
  }

  public Field field(String name) {
    for (Field f : fields) {
      if (f.name.equals(name)) {
        return f;
      }
    }
    return null;
  }

  public String rawValue(String name) {
    Field f = field(name);
    return f == null ? null : bytes.getString(f.valueStart, f.valueEnd);
  }

  public BodyEditor edit() {
    return new BodyEditor(this);
  }
}
