package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tiergate.config.Api;
import dev.tiergate.config.Engine;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseFramer;
import dev.tiergate.testing.Captures;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's Responses stream (capture 16b) made accumulable the way openai-node's stream helper
 * accumulates it: by output_index and content_index, which llama.cpp leaves out.
 */
class ResponsesIndexFixerTest {
  @Test
  void theCapturedStreamAccumulatesAsTheSdkDoes() {
    List<SseEvent> events = new ArrayList<>();
    SseFramer f = new SseFramer(1 << 20);
    f.feed(Buffer.buffer(Captures.load("16b_responses_stream").body()), events::add);
    ResponseFixer fixer = Adapters.of(Engine.LLAMACPP).namedFixer(Api.RESPONSES);
    JsonArray output = new JsonArray();
    String finalText = null;
    for (SseEvent e : events) {
      JsonObject ev = new JsonObject(fixer.event(e));
      switch (e.event()) {
        case "response.output_item.added" -> {
          assertEquals(output.size(), ev.getInteger("output_index"));
          output.add(ev.getJsonObject("item"));
        }
        case "response.content_part.added" -> output.getJsonObject(ev.getInteger("output_index")).getJsonArray("content")
            .add(ev.getJsonObject("part"));
        case "response.output_text.delta" -> {
          JsonObject part = output.getJsonObject(ev.getInteger("output_index")).getJsonArray("content")
              .getJsonObject(ev.getInteger("content_index"));
          part.put("text", part.getString("text") + ev.getString("delta"));
        }
        case "response.created", "response.in_progress" -> assertNull(ev.getValue("output_index"), "not an item event");
        case "response.completed" -> {
          assertNull(ev.getValue("output_index"), "only the item events get indexes");
          finalText = ev.getJsonObject("response").getJsonArray("output").getJsonObject(0).getJsonArray("content")
              .getJsonObject(0).getString("text");
        }
        default -> assertEquals(0, ev.getInteger("output_index"), e.event());
      }
    }
    assertEquals(finalText, output.getJsonObject(0).getJsonArray("content").getJsonObject(0).getString("text"));
  }

  @Test
  void indexesAnEngineSentAreKept() {
    ResponseFixer fixer = Adapters.of(Engine.LLAMACPP).namedFixer(Api.RESPONSES);
    fixer.event(SseEvent.of("response.output_item.added", Buffer.buffer("{\"type\":\"response.output_item.added\",\"item\":{}}")));
    SseEvent sent = SseEvent.of("response.output_text.delta",
        Buffer.buffer("{\"type\":\"response.output_text.delta\",\"output_index\":3,\"content_index\":1,\"delta\":\"x\"}"));
    assertSame(sent.data(), fixer.event(sent));
    assertSame(ResponseFixer.NONE, Adapters.of(Engine.VLLM).namedFixer(Api.RESPONSES), "vLLM numbers its events itself");
  }
}
