package dev.tiergate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.ReplayServer;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Transcript;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real gateway in front of a replay of a real llama.cpp {@code llama-server} (engine-transcripts):
 * what the client gets, what the engine was sent, and what the metrics record, for the engine's own
 * bytes. {@code llama} discovers the engine's 1024-token window from {@code /props}; {@code blind}
 * cannot (its window is unknown, so only the engine judges a prompt); {@code backup} is a sim that
 * would take whatever fails over.
 */
@ExtendWith(BlockedLoopGuard.class)
class LlamaCppReplayTest {
  static ReplayServer replay;
  static ReplayServer blind;
  static TestGateway gw;
  Wire.Outcomes outcomes;
  Snapshot before;

  @BeforeAll
  static void start() {
    replay = ReplayServer.llamacpp();
    blind = ReplayServer.llamacppWithoutProps();
    gw = TestGateway.builder()
        .env("REPLAY", replay.url())
        .env("BLIND", blind.url())
        .sim("backup-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
            .withDecodeTps(2000).withDenseBatching(false))
        .config("""
            health: { intervalMs: 600000, failureThreshold: 1000 }
            routing: { defaultTier: llama }
            tiers:
              - name: llama
                fallback: [backup]
                backends: [{ name: llama-1, url: "${REPLAY}", engine: llamacpp, model: tiny }]
              - name: blind
                fallback: [backup]
                backends: [{ name: blind-1, url: "${BLIND}", engine: llamacpp, model: tiny }]
              - name: backup
                fallback: []
                backends: [{ name: backup-1, url: "${SIM_BACKUP_1}", engine: vllm, model: m }]
            """)
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the probe read llama-1's window from /props", 5_000,
        () -> Integer.valueOf(1024).equals(fleet.get("llama-1").discoveredWindow()));
    Wire.await("the probe saw blind-1 ready", 5_000,
        () -> fleet.get("blind-1").health() == dev.tiergate.fleet.BackendState.Health.READY);
    // First requests load classes for hundreds of ms; keep that out of the blocked-loop guard's window.
    for (String capture : new String[] {"06a_chat_stream_usage", "05_chat_nonstream", "08a_chat_prompt_6k_nonstream"}) {
      gw.post("/v1/chat/completions", chat(true, ""), "x-replay", capture, "x-tiergate-tier", "blind");
    }
    Wire.warmUp(gw, "backup");
  }

  @AfterAll
  static void stop() {
    gw.close();
    replay.close();
    blind.close();
  }

  @BeforeEach
  void snapshot() {
    outcomes = Wire.Outcomes.snapshot(gw);
    before = new Snapshot();
    gw.sim("backup-1").stats().reset();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String chat(boolean stream, String extra) {
    return "{\"model\":\"client-model\",\"stream\":" + stream + extra
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Count to five.\"}],\"max_tokens\":12}";
  }

  static TestGateway.Reply post(String capture, String body, String... more) {
    String[] headers = new String[more.length + 2];
    headers[0] = "x-replay";
    headers[1] = capture;
    System.arraycopy(more, 0, headers, 2, more.length);
    return gw.post(Transcript.llamacpp(capture).requestPath(), body, headers);
  }

  /** The metrics of llama-1 and blind-1 at one moment, to compare against after a request. */
  static final class Snapshot {
    final double[] values = new double[9];

    Snapshot() {
      MeterRegistry r = gw.gateway().services().metrics().registry();
      values[0] = counter(r, "tiergate_prompt_tokens");
      values[1] = counter(r, "tiergate_completion_tokens");
      values[2] = counter(r, "tiergate_cached_prompt_tokens");
      values[3] = counter(r, "tiergate_approximate_token_counts");
      values[4] = summary(r, "tiergate_engine_prefill_tokens_per_second");
      values[5] = summary(r, "tiergate_engine_decode_tokens_per_second");
      Timer ttft = r.find("tiergate_ttft").tag("backend", "llama-1").timer();
      values[6] = ttft.count();
      values[7] = ttft.totalTime(TimeUnit.NANOSECONDS);
      values[8] = r.find("tiergate_upstream_ttft").tag("backend", "llama-1").timer().totalTime(TimeUnit.NANOSECONDS);
    }

    private static double counter(MeterRegistry r, String name) {
      return r.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double summary(MeterRegistry r, String name) {
      return r.find(name).summaries().stream().mapToDouble(DistributionSummary::totalAmount).sum();
    }

    double delta(int i) {
      return new Snapshot().values[i] - values[i];
    }
  }

  /** Waits for the request's metrics (recorded as the stream ends): one ok request, the engine's own token counts. */
  void recorded(long prompt, long completion, long cached) {
    outcomes.expect("ok", 1);
    assertEquals(prompt, (long) before.delta(0), "prompt tokens");
    assertEquals(completion, (long) before.delta(1), "completion tokens");
    assertEquals(cached, (long) before.delta(2), "cached prompt tokens");
    assertEquals(0, (long) before.delta(3), "the counts are exact, not counted from events");
  }

  static List<JsonObject> choicesOf(List<JsonObject> events) {
    return events.stream().filter(e -> e.getJsonArray("choices") != null && !e.getJsonArray("choices").isEmpty())
        .map(e -> e.getJsonArray("choices").getJsonObject(0)).toList();
  }

  // --- streams ------------------------------------------------------------------------------

  @Test
  void aStreamWithUsageReachesAClientThatAskedForIt() {
    Transcript t = Transcript.llamacpp("06a_chat_stream_usage");
    TestGateway.Reply r = post(t.name(), chat(true, ",\"stream_options\":{\"include_usage\":true}"));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("text/event-stream"), r.header("content-type"));
    assertEquals("llama-1", r.header("x-tiergate-backend"));
    List<JsonObject> ev = Wire.events(r.body());
    List<JsonObject> engine = Wire.events(new String(t.body(), java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(engine.size(), ev.size(), "every event relayed, none added: " + r.body());
    for (int i = 0; i < ev.size(); i++) {
      assertEquals("client-model", ev.get(i).getString("model"), "the client's own model name");
      assertEquals(engine.get(i).copy().put("model", "client-model"), ev.get(i), "otherwise the engine's event as sent");
    }
    assertTrue(Wire.endsWithDone(r.body()));
    JsonObject last = ev.get(ev.size() - 1);
    assertEquals(12, last.getJsonObject("usage").getInteger("completion_tokens"));
    assertEquals(12, last.getJsonObject("timings").getInteger("predicted_n"), "llama.cpp's timings reach the client too");
    JsonObject sent = new JsonObject(replay.received("/v1/chat/completions").get(replay.received("/v1/chat/completions").size() - 1)
        .body());
    assertEquals("tiny", sent.getString("model"), "the engine gets its served name");
    recorded(14, 12, 2);
    assertEquals(318.57279388340237, before.delta(4), 1e-6, "timings.prompt_per_second");
    assertEquals(221.23448844552607, before.delta(5), 1e-6, "timings.predicted_per_second");
  }

  @Test
  void theUsageEventIsDroppedForAClientThatDidNotAskButStillCounted() {
    TestGateway.Reply r = post("06a_chat_stream_usage", chat(true, ""));
    assertEquals(200, r.status(), r.body());
    List<JsonObject> ev = Wire.events(r.body());
    assertEquals(14, ev.size(), "role, 12 content chunks, finish; no usage event: " + r.body());
    assertTrue(ev.stream().noneMatch(e -> e.getJsonArray("choices").isEmpty()), r.body());
    assertEquals("assistant", Wire.delta(ev.get(0)).getString("role"));
    assertEquals("length", Wire.finishReason(r.body()));
    assertTrue(Wire.endsWithDone(r.body()));
    JsonObject sent = new JsonObject(replay.received("/v1/chat/completions").get(replay.received("/v1/chat/completions").size() - 1)
        .body());
    assertEquals(true, sent.getJsonObject("stream_options").getBoolean("include_usage"), "the gateway asked for usage itself");
    recorded(14, 12, 2);
  }

  @Test
  void ttftRunsToTheFirstContentChunkNotTheRoleChunk() {
    // The engine sends its role chunk at once and its first token 300 ms later.
    TestGateway.Reply r = post("06a_chat_stream_usage", chat(true, ""), "x-replay-gap-ms", "300");
    assertEquals(200, r.status(), r.body());
    recorded(14, 12, 2);
    assertEquals(1, before.delta(6), "one TTFT sample");
    long ttft = (long) before.delta(7);
    long upstream = (long) before.delta(8);
    assertTrue(ttft >= TimeUnit.MILLISECONDS.toNanos(300), "TTFT " + ttft / 1e6 + " ms includes the wait for the first token");
    assertTrue(upstream >= TimeUnit.MILLISECONDS.toNanos(300), "upstream TTFT " + upstream / 1e6 + " ms too");
  }

  @Test
  void aStreamWithoutUsageIsCountedFromItsTimings() {
    TestGateway.Reply r = post("06b_chat_stream_nousage", chat(true, ""));
    assertEquals(200, r.status(), r.body());
    assertEquals(6, choicesOf(Wire.events(r.body())).stream().filter(c -> c.getJsonObject("delta").getString("content") != null)
        .count(), r.body());
    assertTrue(Wire.endsWithDone(r.body()));
    recorded(14, 6, 13);
    assertEquals(851.2087163772558, before.delta(5), 1e-6);
  }

  @Test
  void aCompletionsStreamCarriesItsUsageOnTheFinishEvent() {
    Transcript t = Transcript.llamacpp("07b_completions_stream");
    TestGateway.Reply r = post(t.name(), t.requestBody().replace("\"tiny\"", "\"client-model\""));
    assertEquals(200, r.status(), r.body());
    StringBuilder text = new StringBuilder();
    choicesOf(Wire.events(r.body())).forEach(c -> text.append(c.getString("text")));
    assertEquals(" neutral established inten夫 Como andra", text.toString());
    assertEquals("length", Wire.finishReason(r.body()));
    assertTrue(Wire.endsWithDone(r.body()));
    assertEquals("tiny", new JsonObject(replay.received("/v1/completions").get(replay.received("/v1/completions").size() - 1)
        .body()).getString("model"));
    recorded(5, 6, 4);
  }

  @Test
  void twoChoicesAreRelayedInterleavedAsTheEngineSentThem() {
    TestGateway.Reply r = post("06d_chat_stream_n2", chat(true, ",\"n\":2,\"stream_options\":{\"include_usage\":true}"));
    assertEquals(200, r.status(), r.body());
    StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
    for (JsonObject e : Wire.events(r.body())) {
      for (Object c : e.getJsonArray("choices")) {
        JsonObject choice = (JsonObject) c;
        String content = choice.getJsonObject("delta").getString("content");
        text[choice.getInteger("index")].append(content == null ? "" : content);
      }
    }
    // The same seed's non-streamed answer (05g) has the same two texts.
    JsonArray whole = new JsonObject(Transcript.llamacpp("05g_chat_n2").bodyText()).getJsonArray("choices");
    assertEquals(whole.getJsonObject(0).getJsonObject("message").getString("content"), text[0].toString());
    assertEquals(whole.getJsonObject(1).getJsonObject("message").getString("content"), text[1].toString());
    assertEquals(2, Wire.events(r.body()).stream().filter(e -> e.getJsonArray("choices").isEmpty()).count(),
        "one usage event per choice, as llama.cpp sends them");
    assertTrue(Wire.endsWithDone(r.body()));
    recorded(11, 4, 10);
  }

  // --- non-streamed -------------------------------------------------------------------------

  // 15d (role "wizard", which llama.cpp answers 200) is refused by the gateway's own validation, as
  // OpenAI and vLLM refuse it: the same request must not mean different things on different tiers.
  @ParameterizedTest
  @ValueSource(strings = {"05_chat_nonstream", "05e_chat_tools", "05g_chat_n2"})
  void aNonStreamedAnswerIsTheEnginesWithTheClientsModelName(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    JsonObject request = new JsonObject(t.requestBody()).put("model", "client-model");
    TestGateway.Reply r = post(capture, request.encode());
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("application/json"));
    JsonObject engine = new JsonObject(t.bodyText());
    assertEquals(engine.copy().put("model", "client-model"), new JsonObject(r.body()));
    JsonObject sent = new JsonObject(replay.received("/v1/chat/completions").get(replay.received("/v1/chat/completions").size() - 1)
        .body());
    assertEquals(request.copy().put("model", "tiny"), sent, "the engine got the request as sent, but for its model name");
    JsonObject usage = engine.getJsonObject("usage");
    recorded(usage.getLong("prompt_tokens"), usage.getLong("completion_tokens"),
        usage.getJsonObject("prompt_tokens_details").getLong("cached_tokens"));
  }

  // --- the engine's errors ------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"08a_chat_prompt_6k_nonstream", "08b_chat_prompt_6k_stream", "08c_completions_prompt_6k"})
  void anEngineThatRefusesTheContextIsA400ThatDoesNotFailOver(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    boolean completions = t.requestPath().equals("/v1/completions");
    // A short body the gateway lets through to blind-1 (window unknown); the engine answers with its capture.
    String body = completions ? "{\"model\":\"client-model\",\"prompt\":\"hello\",\"max_tokens\":4,\"stream\":"
        + (capture.contains("stream") ? "true" : "false") + "}" : chat(capture.contains("stream"), "");
    TestGateway.Reply r = post(capture, body, "x-tiergate-tier", "blind");
    assertEquals(400, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("application/json"), r.header("content-type"));
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals(Set.of("message", "type", "param", "code"), err.fieldNames());
    assertEquals("context_length_exceeded", err.getString("code"));
    assertEquals("invalid_request_error", err.getString("type"));
    assertTrue(err.getString("message").contains("exceeds the available context size (1024 tokens)"), err.encode());
    assertEquals("blind-1", r.header("x-tiergate-backend"));
    assertEquals("blind-1:client_error", r.header("x-tiergate-failed"), "the client's error, not the engine's failure");
    assertEquals(0, gw.sim("backup-1").stats().requests(), "no other tier is tried: it would refuse the same prompt");
    outcomes.expect("client_error", 1);
    assertEquals(0, backend("blind-1").getInteger("consecutiveFailures"), "the client's error is not the engine's");
  }

  @ParameterizedTest
  @ValueSource(strings = {"08a_chat_prompt_6k_nonstream", "08b_chat_prompt_6k_stream", "08c_completions_prompt_6k"})
  void theRealSixThousandTokenPromptNeverReachesAnEngineWhoseWindowIsKnown(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    int seen = replay.received().size();
    TestGateway.Reply r = post(capture, t.requestBody(), "x-tiergate-tier", "llama", "x-tiergate-strict", "true");
    assertEquals(400, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("context_length_exceeded", err.getString("code"));
    assertTrue(err.getString("message").contains("1024 tokens"), "the discovered window: " + err.encode());
    assertEquals(seen, replay.received().size(), "the gateway judged the prompt itself");
    TestGateway.Reply elsewhere = post(capture, t.requestBody(), "x-tiergate-tier", "llama");
    assertEquals(200, elsewhere.status(), elsewhere.body());
    assertEquals("backup", elsewhere.header("x-tiergate-tier"));
    assertEquals("fallback:llama-context", elsewhere.header("x-tiergate-reason"));
    assertEquals(seen, replay.received().size());
  }

  @Test
  void maxTokensOverTheWindowIsTheGatewaysRefusalWhenItKnowsTheWindowAndTheEnginesAnswerWhenNot() {
    Transcript t = Transcript.llamacpp("08e_chat_max_tokens_over_ctx");
    String body = new JsonObject(t.requestBody()).put("model", "client-model").encode();
    TestGateway.Reply known = post(t.name(), body, "x-tiergate-tier", "llama", "x-tiergate-strict", "true");
    assertEquals(400, known.status(), known.body());
    assertEquals("context_length_exceeded", new JsonObject(known.body()).getJsonObject("error").getString("code"));
    // llama.cpp itself accepts it and stops when the slot's context is full.
    TestGateway.Reply unknown = post(t.name(), body, "x-tiergate-tier", "blind");
    assertEquals(200, unknown.status(), unknown.body());
    JsonObject answer = new JsonObject(unknown.body());
    assertEquals("length", answer.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
    assertEquals(1010, answer.getJsonObject("usage").getInteger("completion_tokens"));
  }

  @Test
  void anEngines400ForABadFieldIsRelayedWithItsWords() {
    TestGateway.Reply r = post("15e_max_tokens_string", chat(false, ""));
    assertEquals(400, r.status(), r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("invalid_request_error", err.getString("type"));
    assertEquals("Field 'max_tokens': [json.exception.type_error.302] type must be number, but is string", err.getString("message"));
    assertEquals(0, gw.sim("backup-1").stats().requests());
    outcomes.expect("client_error", 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"15a_bad_role_type", "15b_bad_content_part_text", "15c_null_tool_call_id"})
  void aBodyTheEngineCannotParseIsTheClientsErrorAndDoesNotFailOver(String capture) {
    // The gateway's own validation stops these very bodies (see FactsParserTest); a valid body is sent
    // so that the engine's captured 500 is what the gateway must judge, as for any input it cannot
    // check itself.
    TestGateway.Reply r = post(capture, chat(false, ""));
    assertEquals(4, r.status() / 100, "a client error: " + r.status() + " " + r.body());
    JsonObject err = new JsonObject(r.body()).getJsonObject("error");
    assertTrue(err.getString("message").contains("Failed to parse messages"), err.encode());
    assertFalse(String.valueOf(r.header("x-tiergate-failed")).contains("server_error"), "not the backend's failure");
    assertEquals(0, gw.sim("backup-1").stats().requests(), "not retried elsewhere");
    outcomes.expect("client_error", 1);
    assertEquals(0, backend("llama-1").getInteger("consecutiveFailures"));
  }

  // --- disconnects --------------------------------------------------------------------------

  @Test
  void aClientLeavingMidStreamClosesTheEnginesConnection() {
    int closed = replay.peerClosed();
    // The engine sends its second of output and keeps the stream open, as it would while generating.
    Wire.Reader r = Wire.Reader.open(gw, "/v1/chat/completions", chat(true, ""), "x-replay", "12a_disconnect_stream",
        "x-replay-end", "hold");
    assertEquals(200, r.response.statusCode());
    r.awaitText(" Observ", 5_000);
    Wire.await("the engine is holding the stream", 5_000, () -> replay.held() == 1);
    r.closeConnection();
    Wire.await("the gateway closed the engine's connection", 5_000, () -> replay.peerClosed() == closed + 1);
    assertEquals(0, replay.held());
    outcomes.expect("cancelled", 1);
  }

  @Test
  void anEngineThatDiesMidStreamEndsTheClientsStreamWithAnErrorEvent() {
    Wire.Reader r = Wire.Reader.open(gw, "/v1/chat/completions", chat(true, ""), "x-replay", "12a_disconnect_stream",
        "x-replay-end", "cut");
    assertEquals(200, r.response.statusCode());
    String body = r.awaitEnd();
    assertFalse(Wire.hasDone(body), "no [DONE] hides the failure");
    List<JsonObject> errors = Wire.errors(body);
    assertEquals(1, errors.size(), body.substring(Math.max(0, body.length() - 500)));
    assertEquals("upstream_error", errors.get(0).getString("code"));
    int content = Transcript.llamacpp("12a_disconnect_stream").events().size() - 1;
    assertEquals(content, choicesOf(Wire.events(body)).stream().filter(c -> c.getJsonObject("delta").getString("content") != null)
        .count(), "every token the engine sent reached the client first");
    outcomes.expect("upstream_error", 1);
    assertEquals(content, (long) before.delta(1), "completion tokens counted from the relayed events");
    assertEquals(1, (long) before.delta(3), "and said to be approximate");
  }

  static JsonObject backend(String name) {
    JsonObject status = new JsonObject(gw.get("/tiergate/status").body());
    for (Object t : status.getJsonArray("tiers")) {
      for (Object b : ((JsonObject) t).getJsonArray("backends")) {
        if (((JsonObject) b).getString("name").equals(name)) {
          return (JsonObject) b;
        }
      }
    }
    throw new AssertionError("no backend " + name + " in " + status.encodePrettily());
  }
}
