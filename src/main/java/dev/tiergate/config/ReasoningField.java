package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Which key carries a thinking model's reasoning in what clients see. vLLM's newer builds say
 * {@code reasoning}, everything else {@code reasoning_content}; clients usually know only one.
 */
public enum ReasoningField {
  AS_SENT("as-sent", null, null),
  REASONING_CONTENT("reasoning_content", "\"reasoning\"", "\"reasoning_content\""),
  REASONING("reasoning", "\"reasoning_content\"", "\"reasoning\"");

  private final String id;
  private final byte[] from;
  private final byte[] to;

  ReasoningField(String id, String from, String to) {
    this.id = id;
    this.from = from == null ? null : from.getBytes(StandardCharsets.US_ASCII);
    this.to = to == null ? null : to.getBytes(StandardCharsets.US_ASCII);
  }

  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static ReasoningField parse(String s) {
    for (ReasoningField f : values()) {
      if (f.id.equals(s)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown reasoningField '" + s + "' (allowed: as-sent, reasoning_content, reasoning)");
  }

  /** Renames the reasoning key in one JSON payload; a key inside a string value is escaped and never matches. */
  public Buffer apply(Buffer json) {
    if (from == null) {
      return json;
    }
    int at = indexOfKey(json);
    if (at < 0) {
      return json;
    }
    Buffer out = Buffer.buffer(json.length() + 8);
    int start = 0;
    while (at >= 0) {
      out.appendBuffer(json, start, at - start).appendBytes(to);
      start = at + from.length;
      at = indexOf(json, start);
    }
    return out.appendBuffer(json, start, json.length() - start);
  }

  private int indexOfKey(Buffer b) {
    return indexOf(b, 0);
  }

  /** Next occurrence of the quoted key followed by a colon. */
  private int indexOf(Buffer b, int from0) {
    int n = b.length() - from.length;
    outer:
    for (int i = from0; i <= n; i++) {
      for (int k = 0; k < from.length; k++) {
        if (b.getByte(i + k) != from[k]) {
          continue outer;
        }
      }
      int j = i + from.length;
      while (j < b.length() && b.getByte(j) == ' ') {
        j++;
      }
      if (j < b.length() && b.getByte(j) == ':') {
        return i;
      }
    }
    return -1;
  }
}
