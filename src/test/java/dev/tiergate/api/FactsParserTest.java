package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FactsParserTest {
  final FactsParser parser = new FactsParser(4.0);

  RequestFacts chat(String json) {
    return parser.parse(Endpoint.CHAT, Buffer.buffer(json));
  }

  @Test
  void countsTheWholeConversationNotJustTheLastMessage() {
    String a = "a".repeat(4000);
    RequestFacts f = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"" + a + "\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" + a + "\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:" + "x".repeat(9000) + "\"}}]},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"arguments\":\"" + a + "\"}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"" + a + "\"}]}");
    // 4 × 4000 chars of text + the tool name, at 4 chars/token, plus 4 tokens per message
    assertEquals(4000 + 1 + 16, f.promptTokens());
  }

  @Test
  void toolSchemasCountTowardThePrompt() {
    String schema = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}";
    RequestFacts with = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[" + schema + "]}");
    RequestFacts without = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertTrue(with.hasTools());
    assertFalse(without.hasTools());
    assertEquals(without.promptTokens() + (int) Math.ceil((schema.length() + 2 + 2) / 4.0), with.promptTokens(), 1);
  }

  @Test
  void readsStreamUsageAndMaxTokens() {
    RequestFacts f = chat("{\"model\":\"tiergate/max\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"max_tokens\":50,\"max_completion_tokens\":70,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals("tiergate/max", f.model());
    assertTrue(f.stream());
    assertTrue(f.clientWantsUsage());
    assertEquals(70, f.maxTokens());
  }

  @Test
  void completionsCountPromptStringsAndTokenArrays() {
    RequestFacts f = parser.parse(Endpoint.COMPLETIONS, Buffer.buffer("{\"prompt\":[\"abcdefgh\",[1,2,3]]}"));
    assertEquals(2 + 3, f.promptTokens());
  }

  @Test
  void recordsFieldSpansForPatching() {
    String json = "{ \"model\" : \"m\\\"x\" , \"n\": 12 ,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}] }";
    RequestFacts f = chat(json);
    assertEquals("\"m\\\"x\"", f.body().rawValue("model"));
    assertEquals("12", f.body().rawValue("n"));
    assertEquals("[{\"role\":\"user\",\"content\":\"x\"}]", f.body().rawValue("messages"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{bad|could not parse",
      "[]|must be a JSON object",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} {}|after the JSON object",
      "{\"messages\":\"hi\"}|'messages': expected an array",
      "{\"messages\":[\"hi\"]}|'messages[0]': expected an object",
      "{\"messages\":[]}|at least one message",
      "{\"model\":\"m\"}|Missing required parameter: 'messages'",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}|'stream': expected a boolean",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":5}|'model': expected a string",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-1}|'max_tokens': expected a positive integer",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1.5}|'max_tokens': expected a positive integer",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":[]}|'stream_options': expected an object",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":{}}|'tools': expected an array",
  })
  void badInputIsA400WithAClearMessage(String json, String expected) {
    GatewayError e = assertThrows(GatewayError.class, () -> chat(json));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void completionsNeedAPrompt() {
    GatewayError e = assertThrows(GatewayError.class, () -> parser.parse(Endpoint.COMPLETIONS, Buffer.buffer("{\"model\":\"m\"}")));
    assertEquals("prompt", e.param());
  }

  // --- Messages, Responses, pooling ----------------------------------------------------------

  RequestFacts parse(Endpoint e, String json) {
    return parser.parse(e, Buffer.buffer(json));
  }

  @Test
  void messagesCountSystemBlocksToolInputsResultsAndSchemas() {
    String a = "a".repeat(400);
    String tools = "[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\"}}]";
    RequestFacts f = parse(Endpoint.MESSAGES, "{\"model\":\"claude\",\"max_tokens\":99,\"stream\":true,"
        + "\"system\":[{\"type\":\"text\",\"text\":\"" + a + "\"}],\"tools\":" + tools + ","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + a + "\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\","
        + "\"input\":{\"q\":\"" + a + "\"}}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"" + a + "\"},"
        + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"" + "x".repeat(8000) + "\"}}]}]}");
    assertEquals(99, f.maxTokens());
    assertTrue(f.stream());
    assertTrue(f.hasTools());
    // system 400 + user 400 + tool name 1 + input {"q":"a…"} 408 + result 400 + tool schema raw size, 4 chars/token,
    // plus 4 tokens per message; the image is media, not text
    long chars = 400 + 400 + 1 + (400 + 8) + 400 + tools.length();
    assertEquals((int) Math.ceil(chars / 4.0) + 12, f.promptTokens());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"m\",\"max_tokens\":5,\"messages\":\"nope\"}|messages",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens",
      "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}|messages[0].content[0].text",
      "{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\"}]}]}|messages[0].content[0].tool_use_id",
      "{\"model\":\"m\",\"max_tokens\":5,\"tool_choice\":{\"type\":\"tool\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|tool_choice.name",
      "{\"model\":\"m\",\"max_tokens\":5,\"thinking\":{\"type\":\"on\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|thinking.type",
      "{\"model\":\"m\",\"max_tokens\":5,\"stop_sequences\":[1],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|stop_sequences[0]"})
  void messagesThatNoEngineShouldSeeAreRejectedWithTheField(String json, String param) {
    GatewayError e = assertThrows(GatewayError.class, () -> parse(Endpoint.MESSAGES, json));
    assertEquals(400, e.status());
    assertEquals(param, e.param(), e.getMessage());
  }

  @Test
  void countTokensNeedsNoMaxTokens() {
    RequestFacts f = parse(Endpoint.MESSAGES_COUNT_TOKENS, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}]}");
    assertEquals(1 + 4, f.promptTokens());
  }

  @Test
  void responsesCountInstructionsAndEveryInputItem() {
    RequestFacts f = parse(Endpoint.RESPONSES, "{\"model\":\"m\",\"max_output_tokens\":77,\"instructions\":\"" + "i".repeat(40)
        + "\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + "u".repeat(40) + "\"}]},"
        + "{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"ff\",\"arguments\":\"" + "a".repeat(38) + "\"},"
        + "{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\"" + "o".repeat(40) + "\"}]}");
    assertEquals(77, f.maxTokens());
    assertEquals((40 + 40 + 2 + 38 + 40) / 4 + 4 * 4, f.promptTokens(), "instructions, text, call, output; 4 tokens per item");
    RequestFacts plain = parse(Endpoint.RESPONSES, "{\"input\":\"abcdefgh\"}");
    assertEquals(2 + 4, plain.promptTokens());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"m\"}|input",
      "{\"input\":[{\"role\":\"robot\",\"content\":\"x\"}]}|input[0].role",
      "{\"input\":[{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\"}]}|input[0].arguments",
      "{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"yaml\"}}}|text.format.type",
      "{\"input\":\"x\",\"tools\":[{\"type\":\"function\"}]}|tools[0].name",
      "{\"input\":\"x\",\"max_output_tokens\":\"10\"}|max_output_tokens"})
  void responsesThatNoEngineShouldSeeAreRejectedWithTheField(String json, String param) {
    GatewayError e = assertThrows(GatewayError.class, () -> parse(Endpoint.RESPONSES, json));
    assertEquals(param, e.param(), e.getMessage());
  }

  @Test
  void embeddingsAndRerankNeedTheirInputs() {
    assertEquals(3, parse(Endpoint.EMBEDDINGS, "{\"input\":[\"abcd\",\"efgh\",[1]]}").promptTokens());
    assertEquals("input", assertThrows(GatewayError.class, () -> parse(Endpoint.EMBEDDINGS, "{\"model\":\"m\"}")).param());
    assertEquals("input", assertThrows(GatewayError.class, () -> parse(Endpoint.EMBEDDINGS, "{\"input\":{}}")).param());
    assertEquals(1 + 1 + 1 + 8, parse(Endpoint.RERANK, "{\"query\":\"abcd\",\"documents\":[\"abcd\",{\"text\":\"abcd\"}]}")
        .promptTokens(), "query and documents, 4 tokens per document");
    assertEquals("documents", assertThrows(GatewayError.class, () -> parse(Endpoint.RERANK, "{\"query\":\"q\"}")).param());
  }

  @Test
  void thePromptIsMeasuredByKindOfText() {
    RequestFacts f = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "你好世界".repeat(100) + "\"},"
        + "{\"role\":\"user\",\"content\":\"x = {a: [1, 2]};\"},{\"role\":\"user\",\"content\":\"plain words\"}],"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}");
    dev.tiergate.routing.TextMix m = f.mix();
    assertEquals(400, m.cjk());
    long schema = "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]".length();
    assertEquals(7 + schema, m.code(), "= { : [ ] } ; and the rendered tool schema");
    assertEquals("x  a 1, 2".length() + "plain words".length(), m.prose());
    assertEquals(12, m.fixedTokens(), "4 per message");
    assertFalse(m.media());
    String longText = ("abcdefghijklmnopqrstuvwxyz" + "漢".repeat(26)).repeat(40);
    dev.tiergate.routing.TextMix sampled = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}").mix();
    assertEquals(longText.length() / 2.0, sampled.cjk(), longText.length() * 0.02, "long strings are classified from samples");
    assertTrue(chat("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]}]}")
        .mix().media());
  }
}
