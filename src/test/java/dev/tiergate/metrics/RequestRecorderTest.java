package dev.tiergate.metrics;

import static dev.tiergate.metrics.Scripted.MS;
import static dev.tiergate.metrics.Scripted.T0;
import static dev.tiergate.metrics.Scripted.content;
import static dev.tiergate.metrics.Scripted.done;
import static dev.tiergate.metrics.Scripted.event;
import static dev.tiergate.metrics.Scripted.finish;
import static dev.tiergate.metrics.Scripted.reasoning;
import static dev.tiergate.metrics.Scripted.role;
import static dev.tiergate.metrics.Scripted.usageOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.StreamOutcome;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** The metric logic on scripted event streams: no network, exact timestamps. */
class RequestRecorderTest {
  private final Scripted s = new Scripted();

  @Test
  void roleOnlyFirstChunkIsNotAToken() {
    RequestRecorder r = s.chat("fast-1");
    r.onEvent(role(), T0 + 10 * MS);
    r.onEvent(content("Hi"), T0 + 50 * MS);
    r.onEvent(content(" there"), T0 + 60 * MS);
    r.onEvent(usageOnly(20, 2, 0), T0 + 61 * MS);
    r.onEvent(done(), T0 + 62 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 62 * MS);

    Sample x = s.last();
    assertEquals(50 * MS, x.ttftNanos(), "TTFT runs to the first event with text, not to the role chunk");
    assertEquals(48 * MS, x.upstreamTtftNanos());
    assertEquals(2 * MS, x.overheadNanos());
    assertEquals(2, x.outputEvents());
    assertEquals(0.05, s.scraped("tiergate_ttft_seconds_sum{backend=\"fast-1\",tier=\"fast\"}"), 1e-9);
  }

  @Test
  void reasoningThenContentGivesTtftAndTimeToFirstAnswer() {
    RequestRecorder r = s.chat("fast-1");
    r.onEvent(role(), T0 + 5 * MS);
    r.onEvent(reasoning("Let me think"), T0 + 100 * MS);
    r.onEvent(reasoning(" harder"), T0 + 350 * MS);
    r.onEvent(content("42"), T0 + 600 * MS);
    r.onEvent(finish(), T0 + 601 * MS);
    r.onEvent(usageOnly(30, 3, 0), T0 + 602 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 603 * MS);

    Sample x = s.last();
    assertEquals(100 * MS, x.ttftNanos(), "reasoning is generated output");
    assertEquals(600 * MS, x.firstAnswerNanos(), "the answer starts with the first content");
    assertEquals(3 / 0.5, x.decodeTps(), 1e-9, "3 completion tokens between first (100 ms) and last (600 ms) output");
    assertEquals(0.6, s.scraped("tiergate_time_to_first_answer_seconds_sum{backend=\"fast-1\",tier=\"fast\"}"), 1e-9);
    assertEquals(2, s.scraped("tiergate_inter_token_latency_seconds_count{backend=\"fast-1\",tier=\"fast\"}"));
    assertEquals(0.5, s.scraped("tiergate_inter_token_latency_seconds_sum{backend=\"fast-1\",tier=\"fast\"}"), 1e-9);
  }

  @Test
  void usageOnlyFinalEventIsCounted() {
    RequestRecorder r = s.chat("fast-1");
    r.onEvent(role(), T0 + 5 * MS);
    for (int i = 0; i < 5; i++) {
      r.onEvent(content("t" + i), T0 + (10 + 10 * i) * MS);
    }
    SseEvent usage = usageOnly(1200, 9, 0);
    assertTrue(usage.isUsageOnly(), "the scripted event is the one a client that did not ask never sees");
    r.onEvent(usage, T0 + 60 * MS);
    r.onEvent(done(), T0 + 61 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 61 * MS);

    Sample x = s.last();
    assertEquals(9, x.completionTokens(), "usage wins over the event count (an event may carry several tokens)");
    assertEquals(1200, x.promptTokens());
    assertFalse(x.approximate());
    assertEquals(9 / 0.04, x.decodeTps(), 1e-6);
    assertEquals(1200 / 0.008, x.prefillTps(), 1e-6, "prompt tokens over upstream TTFT (10 ms - 2 ms)");
    assertEquals(9, s.scraped("tiergate_completion_tokens_total{backend=\"fast-1\",tier=\"fast\"}"));
    assertEquals(1200, s.scraped("tiergate_prompt_tokens_total{backend=\"fast-1\",tier=\"fast\"}"));
    assertEquals(0, s.scraped("tiergate_approximate_token_counts_total{backend=\"fast-1\",tier=\"fast\"}"));
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"fast-1\",endpoint=\"chat\",outcome=\"ok\",tier=\"fast\"}"));
  }

  @Test
  void llamaCppTimingsAreRead() {
    RequestRecorder r = s.chat("prefill-1");
    r.onEvent(role(), T0 + 100 * MS);
    r.onEvent(content("a"), T0 + 102 * MS);
    r.onEvent(content("b"), T0 + 122 * MS);
    r.onEvent(finish(), T0 + 123 * MS);
    // llama.cpp: usage and timings ride on one final event; cache_n tokens were reused from the KV cache
    r.onEvent(event("{\"choices\":[],\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":1000,\"total_tokens\":1002},"
        + "\"timings\":{\"cache_n\":600,\"prompt_n\":400,\"prompt_ms\":80.0,\"prompt_per_second\":5000.0,"
        + "\"predicted_n\":2,\"predicted_ms\":20.0,\"predicted_per_second\":100.0}}"), T0 + 124 * MS);
    r.onEvent(done(), T0 + 125 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 125 * MS);

    Sample x = s.last();
    assertEquals(5000.0, x.enginePrefillTps());
    assertEquals(100.0, x.engineDecodeTps());
    assertEquals(600, x.cachedTokens(), "timings.cache_n counts as cached");
    assertEquals(400 / 0.1, x.prefillTps(), 1e-6, "uncached 400 tokens over upstream TTFT 100 ms");
    assertEquals(5000.0, s.scraped(
        "tiergate_engine_prefill_tokens_per_second_sum{backend=\"prefill-1\",tier=\"prefill\"}"));
    assertEquals(100.0, s.scraped(
        "tiergate_engine_decode_tokens_per_second_sum{backend=\"prefill-1\",tier=\"prefill\"}"));
  }

  @Test
  void llamaCppTimingsWithoutUsageGiveTheCounts() {
    RequestRecorder r = s.chat("prefill-1");
    r.onEvent(content("a"), T0 + 50 * MS);
    r.onEvent(content("b"), T0 + 60 * MS);
    r.onEvent(event("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"timings\":{\"cache_n\":10,"
        + "\"prompt_n\":90,\"prompt_per_second\":2000.0,\"predicted_n\":2,\"predicted_per_second\":100.0}}"), T0 + 61 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 62 * MS);

    Sample x = s.last();
    assertEquals(100, x.promptTokens(), "prompt_n + cache_n");
    assertEquals(10, x.cachedTokens());
    assertEquals(2, x.completionTokens());
    assertFalse(x.approximate());
  }

  @Test
  void cachedTokensAreSubtractedFromPrefill() {
    RequestRecorder r = s.chat("fast-1");
    r.onEvent(role(), T0 + 10 * MS);
    r.onEvent(content("x"), T0 + 202 * MS);
    r.onEvent(content("y"), T0 + 212 * MS);
    r.onEvent(usageOnly(1000, 2, 600), T0 + 213 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 214 * MS);

    Sample x = s.last();
    assertEquals(600, x.cachedTokens());
    assertEquals(400 / 0.2, x.prefillTps(), 1e-6, "(1000 - 600) uncached tokens over 200 ms upstream TTFT");
    assertEquals(600, s.scraped("tiergate_cached_prompt_tokens_total{backend=\"fast-1\",tier=\"fast\"}"));
    assertEquals(1000, s.scraped("tiergate_prompt_tokens_total{backend=\"fast-1\",tier=\"fast\"}"));
  }

  @Test
  void cancelledStreamIsRecordedAsCancelledWithItsPartialCount() {
    RequestRecorder r = s.chat("fast-1");
    r.onEvent(role(), T0 + 10 * MS);
    for (int i = 0; i < 5; i++) {
      r.onEvent(content("t" + i), T0 + (20 + 10 * i) * MS);
    }
    r.onEnd(StreamOutcome.CANCELLED, T0 + 75 * MS);
    r.onEnd(StreamOutcome.OK, T0 + 80 * MS); // a second end must not count twice
    r.failed("upstream_error");

    Sample x = s.last();
    assertEquals(1, s.samples.size());
    assertEquals(Outcome.CANCELLED, x.outcome());
    assertEquals(5, x.completionTokens(), "the output events relayed before the client left");
    assertTrue(x.approximate(), "no usage arrived, so the count is marked approximate");
    assertTrue(Double.isNaN(x.decodeTps()), "a cut stream has no meaningful last-token time");
    assertEquals(20 * MS, x.ttftNanos());
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"fast-1\",endpoint=\"chat\",outcome=\"cancelled\",tier=\"fast\"}"));
    assertEquals(5, s.scraped("tiergate_completion_tokens_total{backend=\"fast-1\",tier=\"fast\"}"));
    assertEquals(1, s.scraped("tiergate_approximate_token_counts_total{backend=\"fast-1\",tier=\"fast\"}"));
  }

  @Test
  void nonStreamedBodyReadsUsageAndSkipsTheText() {
    RequestRecorder r = s.metrics.begin("completions", T0);
    r.upstream("fast", "fast-1", "vllm", T0 + MS);
    String body = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"text\":\"{\\\"usage\\\":{\\\"completion_tokens\\\":99}}\","
        + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}}";
    r.body(200, Buffer.buffer(body), T0 + 300 * MS);

    Sample x = s.last();
    assertEquals(34, x.completionTokens(), "a usage-looking string inside the text is not the usage");
    assertEquals(12, x.promptTokens());
    assertEquals(Outcome.OK, x.outcome());
    assertEquals(-1, x.ttftNanos(), "nothing streamed, so no first-token time");
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"fast-1\",endpoint=\"completions\",outcome=\"ok\",tier=\"fast\"}"));
  }

  @Test
  void nonStreamedBodyWithoutUsageIsMarkedApproximate() {
    RequestRecorder r = s.metrics.begin("chat", T0);
    r.upstream("fast", "fast-1", "vllm", T0 + MS);
    r.body(200, Buffer.buffer("{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}"), T0 + 30 * MS);
    assertTrue(s.last().approximate());
    assertEquals(1, s.scraped("tiergate_approximate_token_counts_total{backend=\"fast-1\",tier=\"fast\"}"));
  }

  @Test
  void upstreamStatusesMapToOutcomes() {
    RequestRecorder a = s.metrics.begin("chat", T0);
    a.upstream("fast", "fast-1", "vllm", T0 + MS);
    a.body(400, Buffer.buffer("{\"error\":{}}"), T0 + 2 * MS);
    RequestRecorder b = s.metrics.begin("chat", T0);
    b.upstream("fast", "fast-1", "vllm", T0 + MS);
    b.body(503, Buffer.buffer("{\"error\":{}}"), T0 + 2 * MS);
    assertEquals(Outcome.CLIENT_ERROR, s.samples.get(0).outcome());
    assertEquals(Outcome.UPSTREAM_ERROR, s.samples.get(1).outcome());
  }

  @Test
  void requestsRejectedBeforeRoutingHaveNoTier() {
    s.metrics.begin("chat", T0).failed("client_error");
    s.metrics.begin("chat", T0).failed("rejected");
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"none\",endpoint=\"chat\",outcome=\"client_error\",tier=\"none\"}"));
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"none\",endpoint=\"chat\",outcome=\"rejected\",tier=\"none\"}"));
  }

  @Test
  void upstreamErrorMidStreamKeepsTheFirstTokenTimes() {
    RequestRecorder r = s.chat("fast-1");
    r.onEvent(content("a"), T0 + 40 * MS);
    r.onEvent(event("{\"error\":{\"message\":\"boom\",\"code\":500}}"), T0 + 50 * MS);
    r.onEnd(StreamOutcome.UPSTREAM_ERROR, T0 + 51 * MS);
    Sample x = s.last();
    assertEquals(Outcome.UPSTREAM_ERROR, x.outcome());
    assertEquals(40 * MS, x.ttftNanos());
    assertEquals(1, x.completionTokens());
    assertTrue(x.approximate());
  }
}
