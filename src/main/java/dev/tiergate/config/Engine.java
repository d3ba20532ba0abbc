package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The engine kind behind a backend; it picks the adapter that absorbs the engine's wire quirks. */
public enum Engine {
  VLLM("vllm"),
  SGLANG("sglang"),
  LLAMACPP("llamacpp"),
  IKLLAMA("ikllama");

  private final String id;

  Engine(String id) {
    this.id = id;
  }

  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static Engine parse(String s) {
    String k = s == null ? "" : s.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(".", "");
    for (Engine e : values()) {
      if (e.id.equals(k)) {
        return e;
      }
    }
    if (k.equals("llamaserver")) {
      return LLAMACPP;
    }
    throw new IllegalArgumentException("unknown engine '" + s + "' (allowed: " + allowed() + ")");
  }

  public static String allowed() {
    return Arrays.stream(values()).map(Engine::id).collect(Collectors.joining(", "));
  }
}
