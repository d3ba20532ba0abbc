package dev.tiergate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFramerTest {
  final List<SseEvent> events = new ArrayList<>();

  List<String> feed(SseFramer f, String... chunks) {
    for (String c : chunks) {
      f.feed(Buffer.buffer(c), events::add);
    }
    return events.stream().map(e -> e.data().toString()).toList();
  }

  @Test
  void splitsOnBlankLinesWithEitherLineEnding() {
    assertEquals(List.of("{\"a\":1}", "{\"b\":2}", "[DONE]"),
        feed(new SseFramer(1024), "data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n"));
  }

  @Test
  void eventsSplitAcrossChunksAtEveryByte() {
    String wire = "data: {\"x\":\"héllo\"}\r\n\r\n: keep-alive\n\ndata:{\"y\":2}\n\n";
    byte[] bytes = wire.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int cut = 1; cut < bytes.length; cut++) {
      events.clear();
      SseFramer f = new SseFramer(1024);
      f.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, 0, cut)), events::add);
      f.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, cut, bytes.length)), events::add);
      assertEquals(List.of("{\"x\":\"héllo\"}", "{\"y\":2}"), events.stream().map(e -> e.data().toString()).toList(), "cut at " + cut);
    }
  }

  @Test
  void multiLineDataIsJoinedAndOtherFieldsIgnored() {
    assertEquals(List.of("a\nb"), feed(new SseFramer(1024), "event: x\nid: 1\ndata: a\ndata: b\n\n"));
  }

  @Test
  void anEventWithoutEndIsCappedNotBufferedForever() {
    SseFramer f = new SseFramer(64);
    assertThrows(SseFramer.OversizedEventException.class, () -> feed(f, "data: " + "x".repeat(100)));
    SseFramer g = new SseFramer(64);
    assertThrows(SseFramer.OversizedEventException.class, () -> feed(g, "data: " + "x".repeat(40) + "\n", "data: " + "y".repeat(40) + "\n"));
  }

  @Test
  void finishDeliversATrailingEventWithoutBlankLine() {
    SseFramer f = new SseFramer(1024);
    feed(f, "data: {\"a\":1}\n\ndata: [DONE]");
    assertTrue(f.hasPartial());
    f.finish(events::add);
    assertEquals("[DONE]", events.get(1).data().toString());
    assertTrue(events.get(1).is(SseEvent.DONE));
  }

  @Test
  void classifiesEngineShapes() {
    int role = EventScanner.classify(Buffer.buffer("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"));
    int roleNull = EventScanner.classify(Buffer.buffer("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null}}]}"));
    assertFalse(new SseEvent(null, role).is(SseEvent.OUTPUT));
    assertFalse(new SseEvent(null, roleNull).is(SseEvent.OUTPUT));
    SseEvent reasoning = SseEvent.of(Buffer.buffer("{\"choices\":[{\"delta\":{\"content\":null,\"reasoning_content\":\"hm\"}}]}"));
    assertTrue(reasoning.is(SseEvent.OUTPUT));
    assertFalse(reasoning.is(SseEvent.ANSWER));
    SseEvent spaced = SseEvent.of(Buffer.buffer("{\"choices\": [{\"delta\": {\"content\": \"Hi\"}, \"finish_reason\": null}]}"));
    assertTrue(spaced.is(SseEvent.ANSWER));
    assertFalse(spaced.is(SseEvent.FINISH));
    SseEvent tool = SseEvent.of(Buffer.buffer("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\"}}]}}]}"));
    assertTrue(tool.is(SseEvent.ANSWER));
    SseEvent usage = SseEvent.of(Buffer.buffer("{\"choices\":[],\"usage\":{\"prompt_tokens\":3},\"timings\":{\"prompt_n\":3}}"));
    assertTrue(usage.isUsageOnly());
    assertTrue(usage.is(SseEvent.TIMINGS));
    SseEvent sglangNulls = SseEvent.of(Buffer.buffer("{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}"));
    assertFalse(sglangNulls.is(SseEvent.USAGE));
    SseEvent quoted = SseEvent.of(Buffer.buffer("{\"choices\":[{\"delta\":{\"content\":\"say \\\"error\\\": {\"}}]}"));
    assertFalse(quoted.is(SseEvent.ERROR));
    assertTrue(SseEvent.of(Buffer.buffer("{\"error\":{\"message\":\"boom\"}}")).is(SseEvent.ERROR));
    assertTrue(SseEvent.of(Buffer.buffer("{\"choices\":[{\"text\":\" a\",\"finish_reason\":\"length\"}]}")).is(SseEvent.FINISH));
  }

  @Test
  void replacesTheModelName() {
    Buffer in = Buffer.buffer("{\"id\":\"x\",\"model\":\"served\\\"name\",\"choices\":[]}");
    Buffer out = JsonBytes.replaceString(in, JsonBytes.key("model"), JsonBytes.quote("tiergate/max").getBytes());
    assertEquals("{\"id\":\"x\",\"model\":\"tiergate/max\",\"choices\":[]}", out.toString());
    Buffer same = Buffer.buffer("{\"model\":\"a\"}");
    assertTrue(same == JsonBytes.replaceString(same, JsonBytes.key("model"), "\"a\"".getBytes()));
  }

  @Test
  void theResponsesOwnModelIsRenamedNotANestedOne() {
    Buffer in = Buffer.buffer("{\"meta\":{\"model\":\"draft\"},\"choices\":[{\"text\":\"\\\"model\\\":\\\"x\\\"\"}],"
        + "\"model\":\"served\"}");
    Buffer out = JsonBytes.replaceTopLevelString(in, JsonBytes.key("model"), "\"client\"".getBytes());
    assertEquals(in.toString().replace("\"model\":\"served\"", "\"model\":\"client\""), out.toString());
    assertTrue(out.toString().contains("{\"model\":\"draft\"}"), out.toString());
  }
}
