package dev.tiergate.metrics;

import static dev.tiergate.metrics.Scripted.MS;
import static dev.tiergate.metrics.Scripted.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseFramer;
import dev.tiergate.stream.StreamOutcome;
import dev.tiergate.testing.Captures;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Token counts and TTFT from Responses' and Messages' own events, as llama.cpp sent them (captures 16, 17). */
class NamedUsageTest {
  private final Scripted s = new Scripted();

  static TokenUsage read(String json) {
    TokenUsage u = new TokenUsage();
    UsageReader.read(Buffer.buffer(json), u);
    return u;
  }

  static List<SseEvent> events(String capture) {
    List<SseEvent> out = new ArrayList<>();
    SseFramer f = new SseFramer(1 << 20);
    f.feed(Buffer.buffer(Captures.load(capture).body()), out::add);
    f.finish(out::add);
    return out;
  }

  @Test
  void aWholeResponseCountsInputWithItsCachedPart() {
    TokenUsage u = read(Captures.load("16a_responses_nonstream").body());
    assertEquals(14, u.prompt());
    assertEquals(12, u.completion());
    assertEquals(2, u.cached());
  }

  @Test
  void aWholeMessageAddsTheCacheReadToInputTokens() {
    // Anthropic's input_tokens leaves out what the cache served: 1 + 22 = the 23 tokens /input_tokens counts (18a).
    TokenUsage u = read(Captures.load("17a_messages_nonstream").body());
    assertEquals(23, u.prompt());
    assertEquals(22, u.cached());
    assertEquals(12, u.completion());
    assertEquals(23, new JsonObject(Captures.load("18a_chat_input_tokens").body()).getInteger("input_tokens"));
  }

  @Test
  void aMessagesStreamIsMeasuredFromItsEvents() {
    RequestRecorder r = s.recorder("fast-1", "messages");
    long t = T0;
    for (SseEvent e : events("17b_messages_stream")) {
      t += 10 * MS;
      r.onEvent(e, t);
    }
    r.onEnd(StreamOutcome.OK, t);
    Sample x = s.last();
    assertEquals("messages", x.endpoint());
    assertEquals(30 * MS, x.ttftNanos(), "TTFT at the first text delta, not at message_start or the empty block");
    assertEquals(12, x.outputEvents());
    assertEquals(14, x.promptTokens(), "input 1 + cache read 13, as /count_tokens says (17c)");
    assertEquals(12, x.completionTokens(), "from message_delta's usage");
    assertFalse(x.approximate());
  }

  @Test
  void aResponsesStreamIsMeasuredFromItsEvents() {
    RequestRecorder r = s.recorder("fast-1", "responses");
    long t = T0;
    for (SseEvent e : events("16b_responses_stream")) {
      t += 10 * MS;
      r.onEvent(e, t);
    }
    r.onEnd(StreamOutcome.OK, t);
    Sample x = s.last();
    assertEquals(50 * MS, x.ttftNanos(), "created, in_progress, item and part added come first");
    assertEquals(23, x.promptTokens());
    assertEquals(12, x.completionTokens());
    assertEquals(2590.673575129533, x.engineDecodeTps(), 1e-9, "llama.cpp's timings ride on response.completed");
  }
}
