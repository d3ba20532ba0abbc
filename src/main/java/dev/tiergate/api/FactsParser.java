package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.upstream.RequestBody;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates a chat or completions body and measures it in a single streaming pass: types of the
 * fields the gateway relies on, the prompt size over every message, tool schema and tool result,
 * and the byte span of each top-level field for later patching. It never builds a tree of the
 * conversation, so a 200k-token body costs one scan.
 */
public final class FactsParser {
  /** Chat-template overhead per message (role markers, separators), in tokens. */
  static final int TOKENS_PER_MESSAGE = 4;
  /** Strings in a message that are not text the model reads as prompt tokens. */
  private static final Set<String> NOT_TEXT = Set.of("role", "type", "id", "tool_call_id", "url", "image_url", "detail");

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).maxNestingDepth(200).build())
      .build();

  private final double charsPerToken;

  public FactsParser(double charsPerToken) {
    this.charsPerToken = charsPerToken;
  }

  public RequestFacts parse(Endpoint endpoint, Buffer body) {
    byte[] bytes = body.getBytes();
    try (JsonParser p = JSON.createParser(bytes)) {
      return new Pass(endpoint, body, p).run();
    } catch (JsonParseException e) {
      throw GatewayError.invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage(), null);
    } catch (IOException e) {
      throw GatewayError.invalid("We could not read the JSON body of your request", null);
    }
  }

  private final class Pass {
    private final Endpoint endpoint;
    private final Buffer body;
    private final JsonParser p;
    private final List<RequestBody.Field> fields = new ArrayList<>();
    private String model;
    private boolean stream;
    private boolean wantsUsage;
    private int maxTokens = -1;
    private int maxCompletionTokens = -1;
    private long textChars;
    private long tokens;
    private int messages = -1;
    private boolean hasPrompt;
    private boolean hasTools;

    Pass(Endpoint endpoint, Buffer body, JsonParser p) {
      this.endpoint = endpoint;
      this.body = body;
      this.p = p;
    }

    RequestFacts run() throws IOException {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw GatewayError.invalid("The request body must be a JSON object", null);
      }
      int objectStart = (int) p.currentTokenLocation().getByteOffset();
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        int keyStart = (int) p.currentTokenLocation().getByteOffset();
        JsonToken v = p.nextToken();
        int valueStart = (int) p.currentTokenLocation().getByteOffset();
        field(name, v);
        p.skipChildren();
        int valueEnd = (int) p.currentLocation().getByteOffset();
        if (v.isScalarValue()) {
          valueEnd = scalarEnd(valueStart);
        }
        fields.add(new RequestBody.Field(name, keyStart, valueStart, valueEnd));
      }
      if (t != JsonToken.END_OBJECT) {
        throw GatewayError.invalid("The request body must be a single JSON object", null);
      }
      if (p.nextToken() != null) {
        throw GatewayError.invalid("Unexpected data after the JSON object", null);
      }
      required();
      long estimate = tokens + (long) Math.ceil(textChars / charsPerToken) + (long) TOKENS_PER_MESSAGE * Math.max(0, messages);
      int max = maxCompletionTokens >= 0 ? maxCompletionTokens : maxTokens;
      return new RequestFacts(endpoint, model, stream, wantsUsage, max, (int) Math.min(Integer.MAX_VALUE, estimate),
          hasTools, new RequestBody(body, fields, objectStart));
    }

    private void required() {
      if (endpoint == Endpoint.CHAT) {
        if (messages < 0) {
          throw GatewayError.invalid("Missing required parameter: 'messages'.", "messages");
        }
        if (messages == 0) {
          throw GatewayError.invalid("'messages' must contain at least one message.", "messages");
        }
      } else if (!hasPrompt) {
        throw GatewayError.invalid("Missing required parameter: 'prompt'.", "prompt");
      }
    }

    private void field(String name, JsonToken v) throws IOException {
      switch (name) {
        case "model" -> model = stringOrNull(name, v);
        case "stream" -> stream = bool(name, v);
        case "stream_options" -> streamOptions(v);
        case "max_tokens" -> maxTokens = count(name, v);
        case "max_completion_tokens" -> maxCompletionTokens = count(name, v);
        case "n" -> count(name, v);
        case "messages" -> {
          if (endpoint == Endpoint.CHAT) {
            messages(v);
          }
        }
        case "prompt" -> {
          if (endpoint == Endpoint.COMPLETIONS) {
            prompt(v);
          }
        }
        case "tools", "functions" -> tools(name, v);
        default -> { }
      }
    }

    private void messages(JsonToken v) throws IOException {
      if (v != JsonToken.START_ARRAY) {
        throw typeError("messages", "an array of message objects", v);
      }
      messages = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t != JsonToken.START_OBJECT) {
          throw GatewayError.invalid("Invalid type for 'messages[" + messages + "]': expected an object.", "messages[" + messages + "]");
        }
        countText(null);
        messages++;
      }
    }

    /** Sums the lengths of text-bearing strings inside the current object or array. */
    private void countText(String inField) throws IOException {
      int depth = 1;
      String fieldName = inField;
      while (depth > 0) {
        JsonToken t = p.nextToken();
        if (t == null) {
          return;
        }
        switch (t) {
          case START_OBJECT, START_ARRAY -> {
            if (fieldName != null && NOT_TEXT.contains(fieldName)) {
              p.skipChildren();
            } else {
              depth++;
            }
          }
          case END_OBJECT, END_ARRAY -> depth--;
          case FIELD_NAME -> fieldName = p.currentName();
          case VALUE_STRING -> {
            if (fieldName == null || !NOT_TEXT.contains(fieldName)) {
              textChars += p.getTextLength();
            }
          }
          default -> { }
        }
      }
    }

    private void prompt(JsonToken v) throws IOException {
      hasPrompt = true;
      if (v == JsonToken.VALUE_STRING) {
        textChars += p.getTextLength();
        return;
      }
      if (v != JsonToken.START_ARRAY) {
        throw typeError("prompt", "a string or an array", v);
      }
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == JsonToken.VALUE_STRING) {
          textChars += p.getTextLength();
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
          tokens++;
        } else if (t == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
            tokens++;
          }
          if (p.currentToken() != JsonToken.END_ARRAY) {
            throw typeError("prompt", "strings or arrays of token ids", p.currentToken());
          }
        } else {
          throw typeError("prompt", "strings or arrays of token ids", t);
        }
      }
    }

    private void tools(String name, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
        return;
      }
      if (v != JsonToken.START_ARRAY) {
        throw typeError(name, "an array", v);
      }
      long start = p.currentTokenLocation().getByteOffset();
      p.skipChildren();
      long len = p.currentLocation().getByteOffset() - start;
      // Schemas reach the model as rendered JSON, so their raw size is the honest measure.
      textChars += len;
      hasTools |= len > 2;
    }

    private void streamOptions(JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
        return;
      }
      if (v != JsonToken.START_OBJECT) {
        throw typeError("stream_options", "an object", v);
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String k = p.currentName();
        JsonToken t = p.nextToken();
        if (k.equals("include_usage")) {
          wantsUsage = bool("stream_options.include_usage", t);
        } else {
          p.skipChildren();
        }
      }
    }

    private String stringOrNull(String name, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
        return null;
      }
      if (v != JsonToken.VALUE_STRING) {
        throw typeError(name, "a string", v);
      }
      return p.getText();
    }

    private boolean bool(String name, JsonToken v) {
      if (v == JsonToken.VALUE_NULL) {
        return false;
      }
      if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE) {
        throw typeError(name, "a boolean", v);
      }
      return v == JsonToken.VALUE_TRUE;
    }

    private int count(String name, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
        return -1;
      }
      if (v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT || p.getIntValue() < 1) {
        throw GatewayError.invalid("Invalid value for '" + name + "': expected a positive integer.", name);
      }
      return p.getIntValue();
    }

    private GatewayError typeError(String name, String expected, JsonToken got) {
      return GatewayError.invalid(
          "Invalid type for '" + name + "': expected " + expected + ", but got " + describe(got) + ".", name);
    }

    /** Scalars end where the next token begins, minus separators; Jackson reads numbers lazily. */
    private int scalarEnd(int valueStart) {
      int i = valueStart;
      int n = body.length();
      byte first = body.getByte(i);
      if (first == '"') {
        i++;
        while (i < n) {
          byte c = body.getByte(i);
          if (c == '\\') {
            i += 2;
            continue;
          }
          if (c == '"') {
            return i + 1;
          }
          i++;
        }
        return n;
      }
      while (i < n) {
        byte c = body.getByte(i);
        if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
          return i;
        }
        i++;
      }
      return n;
    }
  }

  private static String describe(JsonToken t) {
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_ARRAY -> "an array";
      case START_OBJECT -> "an object";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.asString();
    };
  }
}
