package dev.tiergate.api.translate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.errors.GatewayError;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;

/** Tree helpers for translation: it runs once per request body and once per chat chunk, never on the native path. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private Json() {}

  static JsonNode read(Buffer b) {
    try {
      return MAPPER.readTree(b.getBytes());
    } catch (IOException e) {
      throw GatewayError.invalid("We could not parse the JSON body of your request: " + e.getMessage(), null);
    }
  }

  /** An engine's JSON, which a translation reads; unreadable means the engine broke its side. */
  static JsonNode readUpstream(Buffer b) {
    try {
      return MAPPER.readTree(b.getBytes());
    } catch (IOException e) {
      throw GatewayError.of(GatewayError.Kind.UPSTREAM_ERROR, "the engine sent JSON the gateway cannot read: " + e.getMessage());
    }
  }

  static Buffer write(JsonNode n) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(n));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String string(JsonNode n) {
    try {
      return MAPPER.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** The text of a string node, else null. */
  static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  static long number(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v != null && v.isNumber() ? v.asLong() : -1;
  }

  static String randomId(String prefix) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] c = new char[24];
    for (int i = 0; i < c.length; i++) {
      c[i] = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
    }
    return prefix + new String(c);
  }

  /** One named SSE event. */
  static void event(Buffer out, String name, JsonNode data) {
    out.appendString("event: ").appendString(name).appendString("\ndata: ").appendBuffer(write(data)).appendString("\n\n");
  }
}
