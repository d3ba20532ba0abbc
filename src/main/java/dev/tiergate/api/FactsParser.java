package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.routing.TextMix;
import dev.tiergate.upstream.RequestBody;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates a body of any of the gateway's APIs and measures it in a single streaming pass: the type
 * of every field an engine parses (see {@link ChatSchema}, {@link ResponsesSchema},
 * {@link MessagesSchema}), the prompt size over every message, instruction, tool schema and tool
 * result, and the byte span of each top-level field for later patching. It never
 * builds a tree of the conversation, so a 200k-token body costs one scan.
 */
public final class FactsParser {
  /** Chat-template overhead per message (role markers, separators), in tokens. */
  static final int TOKENS_PER_MESSAGE = 4;

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).maxNestingDepth(200).build())
      .build();

  private final double charsPerToken;

  public FactsParser(double charsPerToken) {
    this.charsPerToken = charsPerToken;
  }

  public RequestFacts parse(Endpoint endpoint, Buffer body) {
    byte[] bytes = body.getBytes();
    requireUtf8(bytes);
    try (JsonParser p = JSON.createParser(bytes)) {
      return new Pass(endpoint, body, p).run();
    } catch (JsonParseException e) {
      throw GatewayError.invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage(), null);
    } catch (IOException e) {
      throw GatewayError.invalid("We could not read the JSON body of your request", null);
    }
  }

  /**
   * JSON between systems is UTF-8 (RFC 8259). Jackson would detect UTF-16 and UTF-32 and parse them,
   * but the byte spans recorded for patching would then be wrong, and no engine expects them.
   */
  private static void requireUtf8(byte[] b) {
    boolean bom8 = b.length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF;
    boolean bom16 = b.length >= 2 && ((b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF || (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE);
    boolean nul = false;
    for (int i = 0; i < Math.min(4, b.length); i++) {
      nul |= b[i] == 0;
    }
    if (bom8 || bom16 || nul) {
      throw GatewayError.invalid("The request body must be JSON encoded as UTF-8 without a byte order mark"
          + (bom8 ? " (it starts with a UTF-8 byte order mark)." : " (it looks like UTF-16 or UTF-32)."), null);
    }
  }

  private final class Pass {
    private final Endpoint endpoint;
    private final Buffer body;
    private final JsonParser p;
    private final JsonWalk w;
    private final List<RequestBody.Field> fields = new ArrayList<>();
    private String model;
    private boolean stream;
    private boolean wantsUsage;
    private int maxTokens = -1;
    private int maxCompletionTokens = -1;
    private long tokens;
    private int messages = -1;
    private boolean hasPrompt;
    private boolean hasTools;
    private boolean hasMaxTokens;
    private boolean hasInput;
    private boolean hasQuery;
    private boolean hasDocuments;
    private boolean hasPreviousResponse;

    Pass(Endpoint endpoint, Buffer body, JsonParser p) {
      this.endpoint = endpoint;
      this.body = body;
      this.p = p;
      this.w = new JsonWalk(p);
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
      long fixed = tokens + (long) TOKENS_PER_MESSAGE * Math.max(0, messages);
      long estimate = fixed + (long) Math.ceil(w.textChars / charsPerToken);
      int max = maxCompletionTokens >= 0 ? maxCompletionTokens : maxTokens;
      TextMix mix = new TextMix(w.textChars - w.cjkChars - w.codeChars, w.cjkChars, w.codeChars, fixed, w.media);
      return new RequestFacts(endpoint, model, stream, wantsUsage, max, (int) Math.min(Integer.MAX_VALUE, estimate),
          hasTools, new RequestBody(body, fields, objectStart), mix);
    }

    private void required() {
      switch (endpoint.api) {
        case CHAT, CHAT_INPUT_TOKENS, MESSAGES, MESSAGES_COUNT_TOKENS -> {
          if (messages < 0) {
            throw JsonWalk.missing("messages");
          }
          if (messages == 0) {
            throw GatewayError.invalid("'messages' must contain at least one message.", "messages");
          }
          if (endpoint == Endpoint.MESSAGES && !hasMaxTokens) {
            throw MessagesSchema.maxTokensRequired();
          }
        }
        case COMPLETIONS -> {
          if (!hasPrompt) {
            throw JsonWalk.missing("prompt");
          }
        }
        case RESPONSES, RESPONSES_INPUT_TOKENS -> {
          if (!hasInput && !hasPreviousResponse) {
            throw JsonWalk.missing("input");
          }
        }
        case EMBEDDINGS -> {
          if (!hasInput) {
            throw JsonWalk.missing("input");
          }
        }
        case RERANK -> {
          if (!hasQuery) {
            throw JsonWalk.missing("query");
          }
          if (!hasDocuments) {
            throw JsonWalk.missing("documents");
          }
        }
      }
    }

    /** Every field an engine reads with a hard type is checked here, so none of them can reach an engine wrong. */
    private void field(String name, JsonToken v) throws IOException {
      switch (name) {
        case "model" -> model = v == JsonToken.VALUE_NULL ? null : w.stringValue(name, v);
        case "stream" -> stream = w.optionalBool(name, v);
        case "stream_options" -> streamOptions(v);
        case "max_tokens" -> {
          maxTokens = w.optionalCount(name, v);
          hasMaxTokens = maxTokens > 0;
        }
        case "max_output_tokens" -> maxTokens = w.optionalCount(name, v);
        case "max_completion_tokens" -> maxCompletionTokens = w.optionalCount(name, v);
        case "n", "best_of" -> w.optionalCount(name, v);
        case "temperature", "top_p", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty",
            "repeat_penalty" -> w.optionalNumber(name, v);
        case "seed", "top_k", "top_logprobs" -> w.optionalInteger(name, v);
        case "stop" -> w.stringOrStrings(name, v);
        case "logit_bias" -> w.numberMap(name, v);
        case "user", "reasoning_effort", "suffix" -> w.optionalString(name, v, false);
        case "parallel_tool_calls", "echo" -> w.optionalBool(name, v);
        case "logprobs" -> logprobs(v);
        case "chat_template_kwargs" -> {
          if (v != JsonToken.VALUE_NULL) {
            w.object(name, v);
          }
        }
        default -> endpointField(name, v);
      }
    }

    private void endpointField(String name, JsonToken v) throws IOException {
      switch (endpoint.api) {
        case CHAT, CHAT_INPUT_TOKENS -> chatField(name, v);
        case COMPLETIONS -> {
          if (name.equals("prompt")) {
            hasPrompt = true;
            tokenTexts("prompt", v);
          }
        }
        case RESPONSES, RESPONSES_INPUT_TOKENS -> responsesField(name, v);
        case MESSAGES, MESSAGES_COUNT_TOKENS -> messagesField(name, v);
        case EMBEDDINGS -> {
          if (name.equals("input")) {
            hasInput = true;
            tokenTexts("input", v);
          }
        }
        case RERANK -> rerankField(name, v);
      }
    }

    private void chatField(String name, JsonToken v) throws IOException {
      switch (name) {
        case "messages" -> messages = ChatSchema.messages(w, v);
        case "tools", "functions" -> hasTools |= ChatSchema.tools(w, name, v);
        case "tool_choice" -> ChatSchema.toolChoice(w, v);
        case "response_format" -> ChatSchema.responseFormat(w, v);
        default -> { }
      }
    }

    private void responsesField(String name, JsonToken v) throws IOException {
      switch (name) {
        case "input" -> {
          hasInput = true;
          int items = ResponsesSchema.input(w, v);
          messages = Math.max(0, messages) + items;
        }
        case "instructions" -> {
          w.optionalString(name, v, true);
          if (v == JsonToken.VALUE_STRING) {
            messages = Math.max(0, messages) + 1;
          }
        }
        case "tools" -> hasTools |= ResponsesSchema.tools(w, v);
        case "tool_choice" -> ResponsesSchema.toolChoice(w, v);
        case "text" -> ResponsesSchema.text(w, v);
        case "reasoning" -> ResponsesSchema.reasoning(w, v);
        case "previous_response_id" -> {
          w.optionalString(name, v, false);
          hasPreviousResponse = v == JsonToken.VALUE_STRING;
        }
        case "store", "background" -> w.optionalBool(name, v);
        case "instructions_id", "truncation", "service_tier" -> w.optionalString(name, v, false);
        default -> { }
      }
    }

    private void messagesField(String name, JsonToken v) throws IOException {
      switch (name) {
        case "messages" -> messages = MessagesSchema.messages(w, v);
        case "system" -> MessagesSchema.system(w, v);
        case "tools" -> hasTools |= MessagesSchema.tools(w, v);
        case "tool_choice" -> MessagesSchema.toolChoice(w, v);
        case "thinking" -> MessagesSchema.thinking(w, v);
        case "stop_sequences" -> w.stringOrStrings(name, v);
        case "metadata" -> {
          if (v != JsonToken.VALUE_NULL) {
            w.object(name, v);
          }
        }
        default -> { }
      }
    }

    private void rerankField(String name, JsonToken v) throws IOException {
      switch (name) {
        case "query" -> {
          w.string("query", v, true);
          hasQuery = true;
        }
        case "documents" -> {
          w.array("documents", v);
          hasDocuments = true;
          int i = 0;
          JsonToken t;
          while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.START_OBJECT) {
              w.countStrings(); // {text: …} documents (Cohere/Jina shape)
            } else {
              w.string("documents[" + i + "]", t, true);
            }
            i++;
          }
          messages = i;
        }
        case "top_n" -> w.optionalCount(name, v);
        case "return_documents" -> w.optionalBool(name, v);
        default -> { }
      }
    }

    /** A boolean for chat, a count of top tokens for completions; other APIs do not take it. */
    private void logprobs(JsonToken v) throws IOException {
      if (endpoint == Endpoint.COMPLETIONS) {
        w.optionalInteger("logprobs", v);
      } else if (endpoint == Endpoint.CHAT || endpoint == Endpoint.CHAT_INPUT_TOKENS) {
        w.optionalBool("logprobs", v);
      }
    }

    /** Completions' {@code prompt} and embeddings' {@code input}: text, texts, token ids, or arrays of token ids. */
    private void tokenTexts(String field, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_STRING) {
        w.text();
        return;
      }
      if (v != JsonToken.START_ARRAY) {
        throw JsonWalk.typeError(field, "a string or an array", v);
      }
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == JsonToken.VALUE_STRING) {
          w.text();
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
          tokens++;
        } else if (t == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
            tokens++;
          }
          if (p.currentToken() != JsonToken.END_ARRAY) {
            throw JsonWalk.typeError(field, "strings or arrays of token ids", p.currentToken());
          }
        } else {
          throw JsonWalk.typeError(field, "strings or arrays of token ids", t);
        }
      }
    }

    private void streamOptions(JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_NULL) {
        return;
      }
      w.object("stream_options", v);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String k = p.currentName();
        JsonToken t = p.nextToken();
        if (k.equals("include_usage")) {
          wantsUsage = w.optionalBool("stream_options.include_usage", t);
        } else {
          p.skipChildren();
        }
      }
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
}
