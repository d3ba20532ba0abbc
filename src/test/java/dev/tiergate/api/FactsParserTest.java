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
}
