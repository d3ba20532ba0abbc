package dev.tiergate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.testing.Transcript;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The framer and the event scanner on a real llama.cpp server's streams (engine-transcripts): every
 * event comes out byte for byte however the network cuts the bytes, and each event's flags agree
 * with what a full JSON parse of the same payload says.
 */
class CapturedStreamsTest {
  static final int ROLE = 0;
  static final int CONTENT = SseEvent.OUTPUT | SseEvent.ANSWER;

  /** The payloads between "data: " and the blank line, cut from the raw body by hand (an oracle independent of the framer). */
  static List<String> payloads(Transcript t) {
    List<String> out = new ArrayList<>();
    for (byte[] raw : t.rawEvents()) {
      String e = new String(raw, StandardCharsets.UTF_8);
      if (e.endsWith("\n\n")) {
        assertTrue(e.startsWith("data: "), e);
        out.add(e.substring(6, e.length() - 2));
      }
    }
    return out;
  }

  static List<SseEvent> frame(byte[] body, int... cuts) {
    List<SseEvent> out = new ArrayList<>();
    SseFramer f = new SseFramer(1 << 20);
    int from = 0;
    for (int cut : cuts) {
      f.feed(Buffer.buffer(Arrays.copyOfRange(body, from, cut)), out::add);
      from = cut;
    }
    f.feed(Buffer.buffer(Arrays.copyOfRange(body, from, body.length)), out::add);
    return out;
  }

  static List<String> texts(List<SseEvent> events) {
    return events.stream().map(e -> e.data().toString(StandardCharsets.UTF_8)).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"06a_chat_stream_usage", "06b_chat_stream_nousage", "07b_completions_stream"})
  void everyEventSurvivesACutAtEveryByte(String name) {
    Transcript t = Transcript.llamacpp(name);
    List<String> expected = payloads(t);
    assertTrue(expected.size() > 5, "a real stream: " + expected);
    for (int cut = 1; cut < t.body().length; cut++) {
      assertEquals(expected, texts(frame(t.body(), cut)), name + " cut at byte " + cut);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"06c_chat_stream_long", "06d_chat_stream_n2", "12a_disconnect_stream"})
  void longStreamsSurviveSmallAndOddChunks(String name) {
    Transcript t = Transcript.llamacpp(name);
    List<String> expected = payloads(t);
    for (int size : new int[] {1, 3, 7, 64, 1500, 16384}) {
      int n = (t.body().length - 1) / size;
      int[] cuts = new int[n];
      for (int i = 0; i < n; i++) {
        cuts[i] = (i + 1) * size;
      }
      assertEquals(expected, texts(frame(t.body(), cuts)), name + " in chunks of " + size);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"06a_chat_stream_usage", "06b_chat_stream_nousage", "06c_chat_stream_long", "06d_chat_stream_n2",
      "07b_completions_stream", "12a_disconnect_stream"})
  void theScannerAgreesWithAFullParseOnEveryEvent(String name) {
    List<SseEvent> events = Transcript.llamacpp(name).events();
    assertTrue(events.size() > 5, name);
    for (SseEvent e : events) {
      String text = e.data().toString(StandardCharsets.UTF_8);
      assertEquals(parsedFlags(text), e.flags(), "flags of " + text);
      assertEquals(e.flags(), EventScanner.classify(e.data()), "the framer's in-place scan and a scan of the payload agree");
    }
  }

  /** What the flags must be, from a full JSON parse: the oracle for the one-pass byte scanner. */
  static int parsedFlags(String payload) {
    if (payload.equals("[DONE]")) {
      return SseEvent.DONE;
    }
    JsonObject o = new JsonObject(payload);
    int f = 0;
    f |= o.getValue("error") instanceof JsonObject ? SseEvent.ERROR : 0;
    f |= o.getValue("usage") instanceof JsonObject ? SseEvent.USAGE : 0;
    f |= o.getValue("timings") instanceof JsonObject ? SseEvent.TIMINGS : 0;
    JsonArray choices = o.getJsonArray("choices");
    f |= choices != null && choices.isEmpty() ? SseEvent.NO_CHOICES : 0;
    for (Object c : choices == null ? new JsonArray() : choices) {
      JsonObject choice = (JsonObject) c;
      f |= choice.getValue("finish_reason") instanceof String ? SseEvent.FINISH : 0;
      JsonObject delta = choice.getJsonObject("delta", new JsonObject());
      for (String answer : new String[] {"content"}) {
        f |= nonEmpty(delta.getValue(answer)) ? CONTENT : 0;
      }
      f |= nonEmpty(choice.getValue("text")) ? CONTENT : 0;
      f |= delta.getValue("tool_calls") instanceof JsonArray calls && !calls.isEmpty() ? CONTENT : 0;
      f |= nonEmpty(delta.getValue("reasoning_content")) || nonEmpty(delta.getValue("reasoning")) ? SseEvent.OUTPUT : 0;
    }
    return f;
  }

  private static boolean nonEmpty(Object v) {
    return v instanceof String s && !s.isEmpty();
  }

  static List<Integer> kinds(String name) {
    return Transcript.llamacpp(name).events().stream().map(SseEvent::flags).toList();
  }

  static List<Integer> repeat(int flags, int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(flags);
    }
    return out;
  }

  static List<Integer> concat(List<?>... parts) {
    List<Integer> out = new ArrayList<>();
    for (List<?> p : parts) {
      for (Object o : p) {
        out.add((Integer) o);
      }
    }
    return out;
  }

  @Test
  void aChatStreamWithUsageIsRoleContentFinishUsageAndTimingsThenDone() {
    List<Integer> expected = concat(List.of(ROLE), repeat(CONTENT, 12), List.of(SseEvent.FINISH,
        SseEvent.USAGE | SseEvent.NO_CHOICES | SseEvent.TIMINGS, SseEvent.DONE));
    assertEquals(expected, kinds("06a_chat_stream_usage"));
    List<SseEvent> events = Transcript.llamacpp("06a_chat_stream_usage").events();
    assertFalse(events.get(0).is(SseEvent.OUTPUT), "the role chunk (content null) is not output");
    assertTrue(events.get(14).isUsageOnly(), "the usage + timings event is the one a client that did not ask must not see");
  }

  @Test
  void aChatStreamWithoutUsageCarriesTimingsOnItsFinishChunk() {
    List<Integer> expected = concat(List.of(ROLE), repeat(CONTENT, 6), List.of(SseEvent.FINISH | SseEvent.TIMINGS, SseEvent.DONE));
    assertEquals(expected, kinds("06b_chat_stream_nousage"));
    assertFalse(Transcript.llamacpp("06b_chat_stream_nousage").events().stream().anyMatch(SseEvent::isUsageOnly));
  }

  @Test
  void aCompletionsStreamCarriesUsageOnItsFinishEventWhoseTextIsEmpty() {
    List<Integer> expected = concat(repeat(CONTENT, 6),
        List.of(SseEvent.FINISH | SseEvent.USAGE | SseEvent.TIMINGS, SseEvent.DONE));
    assertEquals(expected, kinds("07b_completions_stream"));
    assertFalse(Transcript.llamacpp("07b_completions_stream").events().get(6).isUsageOnly(),
        "it has a choice: dropping it would drop the finish reason");
  }

  @Test
  void twoChoicesInterleaveAndEachEndsWithItsOwnUsageEvent() {
    List<Integer> usage = List.of(SseEvent.USAGE | SseEvent.NO_CHOICES | SseEvent.TIMINGS);
    List<Integer> expected = concat(List.of(ROLE, CONTENT, ROLE), repeat(CONTENT, 6), List.of(SseEvent.FINISH), usage,
        List.of(CONTENT, SseEvent.FINISH), usage, List.of(SseEvent.DONE));
    assertEquals(expected, kinds("06d_chat_stream_n2"));
  }

  @Test
  void aStreamTheClientLeftIsContentUntilTheCutWithNoDone() {
    Transcript t = Transcript.llamacpp("12a_disconnect_stream");
    SseFramer f = new SseFramer(1 << 20);
    List<SseEvent> out = new ArrayList<>();
    f.feed(Buffer.buffer(t.body()), out::add);
    assertFalse(f.hasPartial(), "curl stopped at an event boundary");
    assertFalse(out.stream().anyMatch(e -> e.is(SseEvent.DONE) || e.is(SseEvent.FINISH)), "no finish, no [DONE]: the client hung up");
    assertEquals(ROLE, out.get(0).flags());
    assertEquals(repeat(CONTENT, out.size() - 1), out.subList(1, out.size()).stream().map(SseEvent::flags).toList());
    assertTrue(out.size() > 100, "a second of generation: " + out.size());
  }
}
