package dev.tiergate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.testing.Captures;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real llama.cpp Responses and Messages streams (captures 16b, 17b), framed in small pieces: every
 * event keeps its name and gets the flags the recorder and the relay act on.
 */
class NamedStreamCaptureTest {
  static List<SseEvent> frame(String capture, int piece) {
    byte[] bytes = Captures.load(capture).body().getBytes(StandardCharsets.UTF_8);
    List<SseEvent> out = new ArrayList<>();
    SseFramer f = new SseFramer(1 << 20);
    for (int i = 0; i < bytes.length; i += piece) {
      f.feed(Buffer.buffer(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + piece))), out::add);
    }
    f.finish(out::add);
    return out;
  }

  static int count(List<SseEvent> ev, String name, int flags) {
    return (int) ev.stream().filter(e -> e.event().equals(name) && e.flags() == flags).count();
  }

  @Test
  void aResponsesStreamIsClassifiedByEventName() {
    for (int piece : new int[] {1, 7, 4096}) {
      List<SseEvent> ev = frame("16b_responses_stream", piece);
      assertEquals(20, ev.size(), "piece " + piece);
      assertEquals(12, count(ev, EventNames.OUTPUT_TEXT_DELTA, SseEvent.OUTPUT | SseEvent.ANSWER), "every text delta is answer output");
      SseEvent last = ev.get(ev.size() - 1);
      assertSame(EventNames.RESPONSE_COMPLETED, last.event(), "known names are shared constants");
      assertEquals(SseEvent.DONE | SseEvent.FINISH | SseEvent.USAGE | SseEvent.TIMINGS, last.flags(),
          "the completed event ends the stream and carries usage and llama.cpp's timings");
      for (String quiet : List.of(EventNames.RESPONSE_CREATED, EventNames.RESPONSE_IN_PROGRESS, EventNames.OUTPUT_ITEM_ADDED,
          EventNames.CONTENT_PART_ADDED, EventNames.OUTPUT_TEXT_DONE, EventNames.CONTENT_PART_DONE, EventNames.OUTPUT_ITEM_DONE)) {
        assertEquals(1, count(ev, quiet, 0), quiet + " carries no new output");
      }
    }
  }

  @Test
  void aMessagesStreamIsClassifiedByEventName() {
    for (int piece : new int[] {1, 13, 4096}) {
      List<SseEvent> ev = frame("17b_messages_stream", piece);
      assertEquals(17, ev.size());
      assertEquals(SseEvent.USAGE, ev.get(0).flags(), "message_start carries the input usage");
      assertEquals(0, ev.get(1).flags(), "an empty text block starting is not output");
      assertEquals(12, count(ev, EventNames.CONTENT_BLOCK_DELTA, SseEvent.OUTPUT | SseEvent.ANSWER));
      assertEquals(1, count(ev, EventNames.MESSAGE_DELTA, SseEvent.USAGE | SseEvent.FINISH));
      assertEquals(1, count(ev, EventNames.MESSAGE_STOP, SseEvent.DONE));
    }
  }

  @Test
  void reasoningToolCallsAndErrorsOfNamedStreams() {
    assertEquals(SseEvent.OUTPUT, flags("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}"));
    assertEquals(SseEvent.OUTPUT | SseEvent.ANSWER, flags("content_block_start",
        "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}"));
    assertEquals(SseEvent.OUTPUT | SseEvent.ANSWER, flags("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\"}}"));
    assertEquals(0, flags("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"x\"}}"));
    assertEquals(SseEvent.OUTPUT, flags("response.reasoning_text.delta",
        "{\"type\":\"response.reasoning_text.delta\",\"item_id\":\"rs\",\"delta\":\"hm\"}"));
    assertEquals(SseEvent.OUTPUT | SseEvent.ANSWER, flags("response.output_item.added",
        "{\"type\":\"response.output_item.added\",\"item\":{\"type\":\"function_call\",\"name\":\"f\",\"arguments\":\"\"}}"));
    assertEquals(0, flags("response.output_item.added",
        "{\"type\":\"response.output_item.added\",\"item\":{\"type\":\"message\",\"content\":[],\"name\":\"function_call\"}}"),
        "a value that merely reads function_call is not the item's type");
    assertEquals(SseEvent.ERROR, flags("error", "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"x\"}}"));
    assertEquals(SseEvent.ERROR, flags("response.failed", "{\"type\":\"response.failed\",\"response\":{\"status\":\"failed\"}}"));
  }

  @Test
  void anEventNamedAfterItsDataIsStillClassifiedByName() {
    List<SseEvent> out = new ArrayList<>();
    new SseFramer(1024).feed(Buffer.buffer("data: {\"type\":\"message_stop\"}\nevent: message_stop\n\n"), out::add);
    assertEquals(1, out.size());
    assertEquals(SseEvent.DONE, out.get(0).flags());
    assertEquals("message_stop", out.get(0).event());
  }

  @Test
  void unknownNamesAreKeptAndCarryNoFlags() {
    List<SseEvent> out = new ArrayList<>();
    new SseFramer(1024).feed(Buffer.buffer("event: something.new\ndata: {\"delta\":\"x\",\"content\":\"y\"}\n\n"), out::add);
    assertEquals("something.new", out.get(0).event());
    assertEquals(0, out.get(0).flags());
    assertTrue(SseEvent.of(Buffer.buffer("{\"content\":\"y\"}")).is(SseEvent.OUTPUT), "unnamed events keep chat's rules");
  }

  static int flags(String name, String json) {
    return SseEvent.of(name, Buffer.buffer(json)).flags();
  }
}
