package dev.tiergate.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;

/**
 * Pulls {@code usage} and {@code timings} out of one JSON object with Jackson's streaming parser:
 * every other member (the choices, i.e. the generated text) is skipped without building a tree,
 * so reading a large non-streamed body costs one pass and no copies of its content.
 */
final class UsageReader {
  private static final JsonFactory JSON = new JsonFactory();

  private UsageReader() {}

  /** Reads what it can into {@code into}; a malformed payload leaves the fields it did not reach unset. */
  static void read(Buffer json, TokenUsage into) {
    try (JsonParser p = JSON.createParser(new BufferInput(json))) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return;
      }
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken value = p.nextToken();
        if (value == JsonToken.START_OBJECT && name.equals("usage")) {
          usage(p, into);
        } else if (value == JsonToken.START_OBJECT && name.equals("timings")) {
          timings(p, into);
        } else {
          p.skipChildren();
        }
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
        case "completion_tokens" -> u.completionTokens = longOr(p, v, u.completionTokens);
        case "prompt_tokens_details" -> {
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

  /** Lets Jackson pull from a Vert.x buffer (often a slice of the network buffer) without copying it whole. */
  private static final class BufferInput extends InputStream {
    private final Buffer buf;
    private int pos;

    BufferInput(Buffer buf) {
      this.buf = buf;
    }

    @Override
    public int read() {
      return pos < buf.length() ? buf.getByte(pos++) & 0xff : -1;
    }

    @Override
    public int read(byte[] dst, int off, int len) {
      int n = Math.min(len, buf.length() - pos);
      if (n <= 0) {
        return len == 0 ? 0 : -1;
      }
      buf.getBytes(pos, pos + n, dst, off);
      pos += n;
      return n;
    }
  }
}
