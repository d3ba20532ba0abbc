package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.FakeEngine;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An engine's stream that fails after it started — output, then an error event — reaches the client the
 * same way however its bytes arrive: a 200 stream with the events before the error, then one error event in
 * the client API's shape, then the end, and one recorded outcome. A real engine's writes (and TCP) can put the
 * first events and the error in one read; here the fake engine writes the whole stream as one HTTP chunk, as
 * one Content-Length body, split in two at every byte near an event's end and every eighth byte elsewhere,
 * in three at 30 random places, and a byte at a time.
 * Each write is its own HTTP chunk, which the gateway's client hands on as its own buffer, so every split is
 * seen as written. An error before any output is the request's status instead, also however the bytes arrive.
 */
@ExtendWith(BlockedLoopGuard.class)
class OneChunkStreamErrorTest {
  static final String FAULT = "CUDA error: an illegal memory access was encountered";

  static Vertx engines;
  static FakeEngine engine;
  static TestGateway gw;

  /** What the engine writes: its API's stream with output (two text deltas) before the error, or none. */
  enum Script {
    CHAT, RESPONSES, RESPONSES_FAILED, MESSAGES;

    String text(boolean output) {
      return switch (this) {
        case CHAT -> chat(output);
        case RESPONSES, RESPONSES_FAILED -> responses(output, this == RESPONSES_FAILED);
        case MESSAGES -> messages(output);
      };
    }
  }

  /** A client API on a tier that serves it natively or by translation, and what its engine writes. */
  enum Case {
    CHAT("/v1/chat/completions", "native", Script.CHAT),
    RESPONSES("/v1/responses", "native", Script.RESPONSES),
    RESPONSES_FAILED("/v1/responses", "native", Script.RESPONSES_FAILED),
    MESSAGES("/v1/messages", "native", Script.MESSAGES),
    RESPONSES_TRANSLATED("/v1/responses", "tr", Script.CHAT),
    MESSAGES_TRANSLATED("/v1/messages", "tr", Script.CHAT);

    final String path;
    final String tier;
    final Script script;

    Case(String path, String tier, Script script) {
      this.path = path;
      this.tier = tier;
      this.script = script;
    }

    String body() {
      return switch (this) {
        case CHAT -> "{\"model\":\"client-model\",\"stream\":true,\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        case RESPONSES, RESPONSES_FAILED, RESPONSES_TRANSLATED ->
            "{\"model\":\"client-model\",\"stream\":true,\"max_output_tokens\":8,\"input\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        case MESSAGES, MESSAGES_TRANSLATED ->
            "{\"model\":\"client-model\",\"stream\":true,\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      };
    }

    boolean messages() {
      return path.equals("/v1/messages");
    }
  }

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    engines = Vertx.vertx();
    engine = FakeEngine.start(engines);
    for (String path : List.of("/v1/chat/completions", "/v1/responses", "/v1/messages")) {
      engine.on("POST", path, OneChunkStreamErrorTest::write);
    }
    gw = TestGateway.builder()
        .config("""
            health: { intervalMs: 600000, timeoutMs: 5000 }
            routing: { defaultTier: native }
            tiers:
              - name: native
                fallback: []
                backends: [{ name: native-1, url: "%1$s", engine: vllm, model: m, contextWindow: 32768 }]
              - name: tr
                fallback: []
                backends: [{ name: tr-1, url: "%1$s", engine: vllm, model: m, contextWindow: 32768,
                             translate: [responses, messages] }]
            """.formatted(engine.url()))
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes finished", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
    for (Case c : Case.values()) {
      // First use of each path (translators, error shapes) here, not inside a test's event-loop budget.
      send(c, true, "length");
      send(c, false, "length");
    }
  }

  @AfterAll
  static void stop() {
    gw.close();
    engine.close();
    TestGateway.await(engines.close());
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  // --- the engine ---------------------------------------------------------------------------

  /**
   * Writes the script named by {@code x-fake-script} (and {@code x-fake-output}): as one Content-Length body
   * ({@code x-fake-framing: length}), or chunked in the pieces that {@code x-fake-cuts} (byte offsets) makes,
   * with the end sent with the last piece ({@code with}) or after it, on a later turn ({@code after}).
   */
  static void write(HttpServerRequest req, Buffer body) {
    Script script = Script.valueOf(req.getHeader("x-fake-script"));
    byte[] bytes = script.text(Boolean.parseBoolean(req.getHeader("x-fake-output"))).getBytes(StandardCharsets.UTF_8);
    HttpServerResponse resp = req.response();
    String framing = req.getHeader("x-fake-framing");
    if (framing.equals("length")) {
      resp.setStatusCode(200).putHeader("content-type", "text/event-stream").end(Buffer.buffer(bytes));
      return;
    }
    FakeEngine.sseHead(req);
    int from = 0;
    for (int cut : cuts(req.getHeader("x-fake-cuts"), bytes.length)) {
      resp.write(Buffer.buffer(Arrays.copyOfRange(bytes, from, cut)));
      from = cut;
    }
    Buffer last = Buffer.buffer(Arrays.copyOfRange(bytes, from, bytes.length));
    if (framing.equals("with")) {
      resp.end(last);
    } else {
      resp.write(last);
      engines.setTimer(5, id -> resp.end());
    }
  }

  /** Byte offsets to cut at: a list, or {@code every} byte. */
  static List<Integer> cuts(String header, int length) {
    List<Integer> out = new ArrayList<>();
    if ("every".equals(header)) {
      for (int i = 1; i < length; i++) {
        out.add(i);
      }
    } else if (header != null && !header.isEmpty()) {
      for (String s : header.split(",")) {
        out.add(Integer.parseInt(s));
      }
    }
    return out;
  }

  static String event(String name, String data) {
    return (name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n";
  }

  static String chatChunk(String delta) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":null}]}";
  }

  /** vLLM's shape: chunks, the error object as a data event, and [DONE] even after it. */
  static String chat(boolean output) {
    StringBuilder sb = new StringBuilder(event(null, chatChunk("{\"role\":\"assistant\",\"content\":\"\"}")));
    if (output) {
      sb.append(event(null, chatChunk("{\"content\":\"Hel\"}"))).append(event(null, chatChunk("{\"content\":\"lo\"}")));
    }
    return sb.append(event(null, "{\"error\":{\"object\":\"error\",\"message\":\"" + FAULT
        + "\",\"type\":\"InternalServerError\",\"param\":null,\"code\":500}}")).append(event(null, "[DONE]")).toString();
  }

  static String response(String status, String error) {
    return "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1,\"status\":\"" + status + "\",\"model\":\"m\","
        + "\"output\":[],\"error\":" + error + "}";
  }

  /** OpenAI Responses: created, in progress, a message item with text deltas, then error (or response.failed). */
  static String responses(boolean output, boolean failed) {
    StringBuilder sb = new StringBuilder()
        .append(event("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":"
            + response("in_progress", "null") + "}"))
        .append(event("response.in_progress", "{\"type\":\"response.in_progress\",\"sequence_number\":1,\"response\":"
            + response("in_progress", "null") + "}"));
    if (output) {
      sb.append(event("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":2,"
          + "\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"in_progress\","
          + "\"role\":\"assistant\",\"content\":[]}}"));
      sb.append(event("response.content_part.added", "{\"type\":\"response.content_part.added\",\"sequence_number\":3,"
          + "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\","
          + "\"annotations\":[]}}"));
      int seq = 4;
      for (String d : List.of("Hel", "lo")) {
        sb.append(event("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"sequence_number\":"
            + seq++ + ",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"" + d + "\"}"));
      }
    }
    if (failed) {
      return sb.append(event("response.failed", "{\"type\":\"response.failed\",\"sequence_number\":9,\"response\":"
          + response("failed", "{\"code\":\"server_error\",\"message\":\"" + FAULT + "\"}") + "}")).toString();
    }
    return sb.append(event("error", "{\"type\":\"error\",\"sequence_number\":9,\"code\":\"server_error\",\"message\":\""
        + FAULT + "\",\"param\":null}")).toString();
  }

  /** Anthropic Messages: message_start, a text block with deltas, then the error event. */
  static String messages(boolean output) {
    StringBuilder sb = new StringBuilder()
        .append(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
            + "\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":5,\"output_tokens\":0}}}"));
    if (output) {
      sb.append(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
          + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
      for (String d : List.of("Hel", "lo")) {
        sb.append(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + d + "\"}}"));
      }
    }
    return sb.append(event("error", "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"" + FAULT + "\"}}"))
        .toString();
  }

  // --- the client ---------------------------------------------------------------------------

  static TestGateway.Reply send(Case c, boolean output, String framing, int... cuts) {
    return send(c, output, framing, Arrays.stream(cuts).mapToObj(Integer::toString).collect(Collectors.joining(",")));
  }

  static TestGateway.Reply send(Case c, boolean output, String framing, String joined) {
    return gw.post(c.path, c.body(), "x-tiergate-tier", c.tier, "x-tiergate-strict", "true", "x-fake-script", c.script.name(),
        "x-fake-output", Boolean.toString(output), "x-fake-framing", framing, "x-fake-cuts", joined);
  }

  /**
   * Where a two-way split can change what one read holds: every byte within two of the blank line that ends an
   * event (a read ending just before, on or after it), and every eighth byte between them.
   */
  static java.util.SortedSet<Integer> cutsToTry(byte[] bytes) {
    java.util.SortedSet<Integer> cuts = new java.util.TreeSet<>();
    for (int k = 1; k < bytes.length; k += 8) {
      cuts.add(k);
    }
    for (int i = 0; i + 1 < bytes.length; i++) {
      if (bytes[i] == '\n' && bytes[i + 1] == '\n') {
        for (int k = i - 2; k <= i + 3; k++) {
          if (k >= 1 && k < bytes.length) {
            cuts.add(k);
          }
        }
      }
    }
    return cuts;
  }

  static int length(Case c, boolean output) {
    return c.script.text(output).getBytes(StandardCharsets.UTF_8).length;
  }

  /** 200, the output relayed in the client's API, exactly one error event last, nothing that looks finished. */
  static void assertOutputThenError(Case c, TestGateway.Reply r, String how) {
    String why = c + " " + how + ": " + r.body();
    assertEquals(200, r.status(), why);
    assertTrue(r.header("content-type").startsWith("text/event-stream"), why);
    if (c == Case.CHAT) {
      List<String> data = Wire.data(r.body());
      assertFalse(data.contains("[DONE]"), "a failed stream does not look finished: " + why);
      assertEquals("Hello", Wire.joined(r.body(), "content"), why);
      List<JsonObject> events = Wire.events(r.body());
      assertEquals(1, Wire.errors(r.body()).size(), why);
      JsonObject err = events.get(events.size() - 1).getJsonObject("error");
      assertTrue(err != null && err.getString("message").contains(FAULT), why);
      assertEquals("client-model", events.get(0).getString("model"), why);
      return;
    }
    List<Wire.Named> ev = Wire.named(r.body());
    List<String> names = ev.stream().map(Wire.Named::event).toList();
    assertEquals(1, names.stream().filter(n -> n.equals("error")).count(), why);
    Wire.Named last = ev.get(ev.size() - 1);
    assertEquals("error", last.event(), why);
    if (c.messages()) {
      assertEquals("message_start", names.get(0), why);
      assertFalse(names.contains("message_stop"), why);
      assertEquals("Hello", ev.stream().filter(e -> e.event().equals("content_block_delta"))
          .map(e -> e.data().getJsonObject("delta").getString("text")).collect(Collectors.joining()), why);
      assertEquals("client-model", ev.get(0).data().getJsonObject("message").getString("model"), why);
      assertEquals(Set.of("type", "error"), last.data().fieldNames(), why);
      assertEquals("api_error", last.data().getJsonObject("error").getString("type"), why);
      assertTrue(last.data().getJsonObject("error").getString("message").contains(FAULT), why);
    } else {
      assertEquals(List.of("response.created", "response.in_progress"), names.subList(0, 2), why);
      assertFalse(names.contains("response.completed") || names.contains("response.incomplete"), why);
      assertEquals("Hello", ev.stream().filter(e -> e.event().equals("response.output_text.delta"))
          .map(e -> e.data().getString("delta")).collect(Collectors.joining()), why);
      assertEquals("client-model", ev.get(0).data().getJsonObject("response").getString("model"), why);
      assertTrue(last.data().getString("message").contains(FAULT), why);
    }
    if (c.script != Script.CHAT) {
      // A native stream is passed on event for event: all of the engine's events before its error, in order.
      List<String> upstream = Wire.names(c.script.text(true));
      assertEquals(upstream.subList(0, upstream.size() - 1), names.subList(0, names.size() - 1), why);
    }
  }

  /** Nothing was relayed before the error: the request fails with a status, in the client API's error body. */
  static void assertStatus(Case c, TestGateway.Reply r, String how) {
    String why = c + " " + how + ": " + r.body();
    assertEquals(502, r.status(), why);
    assertTrue(r.header("content-type").startsWith("application/json"), why);
    JsonObject o = new JsonObject(r.body());
    JsonObject err = o.getJsonObject("error");
    if (c.messages()) {
      assertEquals("error", o.getString("type"), why);
      assertEquals("api_error", err.getString("type"), why);
    } else {
      assertEquals("upstream_error", err.getString("type"), why);
    }
    assertTrue(err.getString("message").contains(FAULT), why);
  }

  static void check(Case c, boolean output, String how, TestGateway.Reply r) {
    if (output) {
      assertOutputThenError(c, r, how);
    } else {
      assertStatus(c, r, how);
    }
  }

  // --- the tests ----------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Case.class)
  void aStreamThatFailsAfterItsOutputIsRelayedThenEndsWithOneErrorEventWhenWrittenInOneWrite(Case c) {
    oneWrite(c, true);
  }

  @ParameterizedTest
  @EnumSource(Case.class)
  void anErrorBeforeAnyOutputIsTheRequestsStatusWhenWrittenInOneWrite(Case c) {
    oneWrite(c, false);
  }

  /** The whole stream in one write, ended with it, on a later turn, or as a Content-Length body. */
  static void oneWrite(Case c, boolean output) {
    for (String framing : List.of("with", "after", "length")) {
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      check(c, output, "one write, end " + framing, send(c, output, framing));
      outcomes.expect("upstream_error", 1);
      Wire.awaitNothingInFlight(gw);
    }
  }

  @ParameterizedTest
  @EnumSource(Case.class)
  void theSameHoldsForEveryTwoWaySplit(Case c) {
    for (boolean output : new boolean[] {true, false}) {
      int n = length(c, output);
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      int sent = 0;
      for (int k : cutsToTry(c.script.text(output).getBytes(StandardCharsets.UTF_8))) {
        check(c, output, "split at byte " + k + " of " + n, send(c, output, k % 2 == 0 ? "with" : "after", k));
        sent++;
      }
      outcomes.expect("upstream_error", sent);
    }
  }

  @ParameterizedTest
  @EnumSource(Case.class)
  void theSameHoldsForThreeWaySplitsAndForAByteAtATime(Case c) {
    Random random = new Random(c.ordinal() * 31L + 7);
    for (boolean output : new boolean[] {true, false}) {
      int n = length(c, output);
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      int sent = 0;
      for (int i = 0; i < 30; i++) {
        int a = 1 + random.nextInt(n - 2);
        int b = a + 1 + random.nextInt(n - a - 1);
        check(c, output, "split at bytes " + a + "," + b + " of " + n, send(c, output, i % 2 == 0 ? "with" : "after", a, b));
        sent++;
      }
      check(c, output, "a byte at a time", send(c, output, "after", "every"));
      sent++;
      outcomes.expect("upstream_error", sent);
    }
  }
}
