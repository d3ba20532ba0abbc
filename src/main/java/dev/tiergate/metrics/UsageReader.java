package dev.tiergate.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tiergate.stream.EventScanner;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Pulls the {@code usage} and {@code timings} out of one JSON payload, in any of the three APIs'
 * words (chat's {@code prompt_tokens}, Responses' {@code input_tokens} with details, Anthropic's
 * {@code input_tokens} without the cached ones, which come as {@code cache_read_input_tokens}): the event scanner
 * finds where each object starts (skipping every string whole, so generated text never matches), and Jackson's
 * streaming parser reads just that object. The rest of a large non-streamed body, the choices, is
 * never tokenized.
 */
final class UsageReader {
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] USAGE = "usage".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TIMINGS = "timings".getBytes(StandardCharsets.US_ASCII);

  private interface Fields {
    void read(JsonParser p, TokenUsage into) throws IOException;
  }

  private UsageReader() {}

  /** Reads what it can into {@code into}; a malformed payload leaves the fields it did not reach unset. */
  static void read(Buffer json, TokenUsage into) {
    byte[] a = json.getBytes();
    object(a, USAGE, into, UsageReader::usage);
    object(a, TIMINGS, into, UsageReader::timings);
  }

  private static void object(byte[] a, byte[] key, TokenUsage into, Fields fields) {
    int at = EventScanner.topLevelValueAt(a, key);
    if (at < 0) {
      // Responses and Messages events nest it: response.usage, message.usage.
      at = EventScanner.valueAt(a, key);
    }
    if (at < 0 || a[at] != '{') {
      return;
    }
    try (JsonParser p = JSON.createParser(a, at, a.length - at)) {
      if (p.nextToken() == JsonToken.START_OBJECT) {
        fields.read(p, into);
      }
    } catch (IOException | RuntimeException e) {
      // A payload we cannot read only costs exactness: the recorder falls back to counting events.
    }
  }

  private static void usage(JsonParser p, TokenUsage u) throws IOException {
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      switch (name) {
        case "prompt_tokens" -> u.promptTokens = longOr(p, v, u.promptTokens);
        case "completion_tokens", "output_tokens" -> u.completionTokens = longOr(p, v, u.completionTokens);
        case "input_tokens" -> u.inputTokens = longOr(p, v, u.inputTokens);
        case "cache_read_input_tokens" -> u.cacheReadTokens = longOr(p, v, u.cacheReadTokens);
        case "cache_creation_input_tokens" -> u.cacheCreationTokens = longOr(p, v, u.cacheCreationTokens);
        case "prompt_tokens_details", "input_tokens_details" -> {
          if (v == JsonToken.START_OBJECT) {
            details(p, u);
          } else {
            p.skipChildren();
          }
        }
        default -> p.skipChildren();
      }
    }
  }

  private static void details(JsonParser p, TokenUsage u) throws IOException {
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      if (name.equals("cached_tokens")) {
        u.cachedTokens = longOr(p, v, u.cachedTokens);
      } else {
        p.skipChildren();
      }
    }
  }

  private static void timings(JsonParser p, TokenUsage u) throws IOException {
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      switch (name) {
        case "cache_n" -> u.cacheN = longOr(p, v, u.cacheN);
        case "prompt_n" -> u.promptN = longOr(p, v, u.promptN);
        case "predicted_n" -> u.predictedN = longOr(p, v, u.predictedN);
        case "prompt_per_second" -> u.promptPerSecond = doubleOr(p, v, u.promptPerSecond);
        case "predicted_per_second" -> u.predictedPerSecond = doubleOr(p, v, u.predictedPerSecond);
        default -> p.skipChildren();
      }
    }
  }

  private static long longOr(JsonParser p, JsonToken v, long fallback) throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
      long n = p.getValueAsLong();
      return n >= 0 ? n : fallback;
    }
    p.skipChildren();
    return fallback;
  }

  private static double doubleOr(JsonParser p, JsonToken v, double fallback) throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
      double d = p.getValueAsDouble();
      return Double.isFinite(d) && d >= 0 ? d : fallback;
    }
    p.skipChildren();
    return fallback;
  }
}
