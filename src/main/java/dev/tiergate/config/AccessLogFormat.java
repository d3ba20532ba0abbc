package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * {@code server.accessLog}: no line per request, {@code key=value} pairs, or one JSON object. YAML 1.1
 * reads a bare {@code off} as {@code false}, so the boolean is accepted for it too.
 */
public enum AccessLogFormat {
  OFF("off"),
  KV("kv"),
  JSON("json");

  private final String id;

  AccessLogFormat(String id) {
    this.id = id;
  }

  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static AccessLogFormat parse(Object v) {
    if (Boolean.FALSE.equals(v)) {
      return OFF;
    }
    for (AccessLogFormat f : values()) {
      if (f.id.equals(String.valueOf(v))) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown accessLog '" + v + "' (allowed: off, kv, json)");
  }
}
