package dev.tiergate.metrics;

import static dev.tiergate.metrics.Scripted.MS;
import static dev.tiergate.metrics.Scripted.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.StreamOutcome;
import dev.tiergate.testing.Transcript;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The metrics listener fed a real llama.cpp server's responses (engine-transcripts), event by
 * event on a scripted clock: token counts come from the engine's usage or timings exactly as it
 * sent them, and TTFT runs to the first event with generated text, never to the role chunk.
 */
class CapturedStreamMetricsTest {
  private final Scripted s = new Scripted();

  /** Replays a capture's events into a recorder: event i at T0 + 10 ms + i × 10 ms. */
  private Sample replay(String name, String endpoint, StreamOutcome outcome) {
    RequestRecorder r = s.metrics.begin(endpoint, T0);
    r.upstream("prefill", "prefill-1", "llamacpp", T0 + 2 * MS);
    List<SseEvent> events = Transcript.llamacpp(name).events();
    for (int i = 0; i < events.size(); i++) {
      r.onEvent(events.get(i), at(i));
    }
    r.onEnd(outcome, at(events.size()));
    assertEquals(1, s.samples.size());
    return s.last();
  }

  private static long at(int i) {
    return T0 + 10 * MS + i * 10 * MS;
  }

  @Test
  void streamWithUsageAndTimings() {
    Sample x = replay("06a_chat_stream_usage", "chat", StreamOutcome.OK);
    assertEquals(at(1) - T0, x.ttftNanos(), "TTFT ends at the first content chunk (event 1), not the role chunk (event 0)");
    assertEquals(at(1) - T0 - 2 * MS, x.upstreamTtftNanos());
    assertEquals(at(1) - T0, x.firstAnswerNanos());
    assertEquals(12, x.outputEvents());
    assertEquals(14, x.promptTokens());
    assertEquals(12, x.completionTokens());
    assertEquals(2, x.cachedTokens(), "usage.prompt_tokens_details.cached_tokens and timings.cache_n agree on 2");
    assertFalse(x.approximate());
    assertEquals(318.57279388340237, x.enginePrefillTps(), 1e-9);
    assertEquals(221.23448844552607, x.engineDecodeTps(), 1e-9);
    assertEquals(12 / ((at(12) - at(1)) / 1e9), x.decodeTps(), 1e-6, "12 tokens between the first and the last content chunk");
    // 12 uncached tokens: the engine's fixed latency, not prefill, makes up this TTFT, so no prefill
    // rate is sampled (RequestRecorder.MIN_PREFILL_TOKENS); the engine's own rate is still recorded.
    assertTrue(Double.isNaN(x.prefillTps()), "no prefill sample below 256 uncached tokens: " + x.prefillTps());
    assertEquals(14, s.scraped("tiergate_prompt_tokens_total{backend=\"prefill-1\",tier=\"prefill\"}"));
    assertEquals(2, s.scraped("tiergate_cached_prompt_tokens_total{backend=\"prefill-1\",tier=\"prefill\"}"));
    assertEquals(12, s.scraped("tiergate_completion_tokens_total{backend=\"prefill-1\",tier=\"prefill\"}"));
    assertEquals(0, s.scraped("tiergate_approximate_token_counts_total{backend=\"prefill-1\",tier=\"prefill\"}"));
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"prefill-1\",endpoint=\"chat\",outcome=\"ok\",tier=\"prefill\"}"));
  }

  @Test
  void streamWithoutUsageCountsFromTheTimingsOnTheFinishChunk() {
    Sample x = replay("06b_chat_stream_nousage", "chat", StreamOutcome.OK);
    assertEquals(at(1) - T0, x.ttftNanos());
    assertEquals(6, x.completionTokens(), "timings.predicted_n");
    assertEquals(14, x.promptTokens(), "timings.prompt_n 1 + cache_n 13");
    assertEquals(13, x.cachedTokens());
    assertFalse(x.approximate(), "timings are the engine's own count");
    assertEquals(712.2507122507122, x.enginePrefillTps(), 1e-9);
    assertEquals(851.2087163772558, x.engineDecodeTps(), 1e-9);
  }

  @Test
  void aLongStreamThatStoppedOnItsOwn() {
    Sample x = replay("06c_chat_stream_long", "chat", StreamOutcome.OK);
    assertEquals(116, x.outputEvents(), "116 content chunks");
    assertEquals(117, x.completionTokens(), "usage also counts the end-of-sequence token, which has no text");
    assertEquals(15, x.promptTokens());
    assertEquals(4, x.cachedTokens());
    assertEquals(78.18044450974459, x.engineDecodeTps(), 1e-9);
  }

  @Test
  void twoChoicesCountWhatTheEngineReportedInItsLastUsageEvent() {
    Sample x = replay("06d_chat_stream_n2", "chat", StreamOutcome.OK);
    assertEquals(at(1) - T0, x.ttftNanos(), "choice 1's first content, after its role chunk");
    assertEquals(8, x.outputEvents(), "both choices' content chunks");
    // llama.cpp reports one choice's usage per usage event (4 tokens each, 8 generated in all): the
    // gateway records what the engine said, not a sum it would have to guess.
    assertEquals(4, x.completionTokens());
    assertEquals(11, x.promptTokens());
    assertEquals(10, x.cachedTokens());
    assertFalse(x.approximate());
  }

  @Test
  void completionsStreamReadsUsageFromItsFinishEvent() {
    Sample x = replay("07b_completions_stream", "completions", StreamOutcome.OK);
    assertEquals(at(0) - T0, x.ttftNanos(), "completions have no role chunk: the first text is the first output");
    assertEquals(6, x.completionTokens());
    assertEquals(5, x.promptTokens());
    assertEquals(4, x.cachedTokens());
    assertEquals(116.46866992778942, x.enginePrefillTps(), 1e-9);
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"prefill-1\",endpoint=\"completions\",outcome=\"ok\",tier=\"prefill\"}"));
  }

  @Test
  void aStreamThatNeverFinishedCountsItsEventsAndSaysSo() {
    Sample x = replay("12a_disconnect_stream", "chat", StreamOutcome.CANCELLED);
    assertEquals(Outcome.CANCELLED, x.outcome());
    assertTrue(x.approximate(), "no usage arrived");
    assertEquals(x.outputEvents(), x.completionTokens());
    int content = Transcript.llamacpp("12a_disconnect_stream").events().size() - 1; // all but the role chunk
    assertTrue(content > 100, "a second of generation: " + content);
    assertEquals(content, x.outputEvents(), "every content chunk relayed before the client left");
    assertTrue(Double.isNaN(x.decodeTps()), "a cut stream has no decode rate");
    assertEquals(1, s.scraped("tiergate_approximate_token_counts_total{backend=\"prefill-1\",tier=\"prefill\"}"));
  }

  @Test
  void nonStreamedBodiesReadUsageAndTimings() {
    for (String name : new String[] {"05_chat_nonstream", "05e_chat_tools", "05g_chat_n2", "07a_completions_nonstream"}) {
      RequestRecorder r = s.metrics.begin(name.startsWith("07") ? "completions" : "chat", T0);
      r.upstream("prefill", "prefill-1", "llamacpp", T0 + MS);
      r.body(200, Buffer.buffer(Transcript.llamacpp(name).body()), T0 + 50 * MS);
    }
    List<Sample> x = s.samples;
    assertEquals(List.of(24L, 15L, 11L, 5L), x.stream().map(Sample::promptTokens).toList());
    assertEquals(List.of(24L, 16L, 4L, 24L), x.stream().map(Sample::completionTokens).toList());
    assertEquals(List.of(0L, 4L, 10L, 1L), x.stream().map(Sample::cachedTokens).toList());
    assertTrue(x.stream().noneMatch(Sample::approximate));
    assertEquals(629.1200525178479, x.get(0).engineDecodeTps(), 1e-9);
    assertEquals(4809.794490599038, x.get(1).enginePrefillTps(), 1e-9);
  }

  @Test
  void anEnginesErrorBodyCountsAsTheClientsErrorWithNoTokens() {
    RequestRecorder r = s.metrics.begin("chat", T0);
    r.upstream("prefill", "prefill-1", "llamacpp", T0 + MS);
    r.body(400, Buffer.buffer(Transcript.llamacpp("08a_chat_prompt_6k_nonstream").body()), T0 + 20 * MS);
    Sample x = s.last();
    assertEquals(Outcome.CLIENT_ERROR, x.outcome());
    assertEquals(-1, x.promptTokens(), "n_prompt_tokens in an error is not usage");
    assertEquals(0, s.scraped("tiergate_prompt_tokens_total{backend=\"prefill-1\",tier=\"prefill\"}"));
  }
}
