package dev.tiergate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Transcript;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulator's llama.cpp dialect against the real server's bytes (engine-transcripts): the
 * same captured request sent to the sim must come back in the same shape — the same keys in the
 * same order in every event, the same kinds of events in the same order (role chunk, content
 * chunks, finish chunk, usage + timings event, {@code [DONE]}), the same error envelopes and
 * statuses. Values (text, ids, timings) differ; shapes may not, or the gateway's tests, which run
 * against the sim, would stop saying anything about the real engine.
 */
class SimMatchesLlamaCppCapturesTest {
  static Vertx vertx;
  static SimServer sim;
  static HttpClient client;
  static io.vertx.core.Context context;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    // The capture's server: -c 4096 -np 4, so 1024 tokens per slot.
    sim = TestGateway.await(SimServer.start(vertx, SimOptions.defaults("llamacpp").withModel("models/tiny.gguf")
        .withContextWindow(1024).withTtftBaseMs(1).withPrefillTps(1_000_000).withDecodeTps(5000)
        .withDenseBatching(false)));
    client = vertx.createHttpClient();
    context = vertx.getOrCreateContext();
  }

  @AfterAll
  static void stop() {
    TestGateway.await(vertx.close());
  }

  record Answer(int status, Map<String, String> headers, String body) {}

  /** One exchange, run on one event loop (from the test thread its steps could race: see TestGateway.onLoop). */
  static Answer send(Transcript t) {
    io.vertx.core.Promise<Answer> p = io.vertx.core.Promise.promise();
    context.runOnContext(v -> exchange(t).onComplete(p));
    return TestGateway.await(p.future());
  }

  static io.vertx.core.Future<Answer> exchange(Transcript t) {
    return client.request(HttpMethod.valueOf(t.requestMethod()), sim.port(), "127.0.0.1", t.requestPath())
        .compose(req -> {
          if (!t.requestBody().isEmpty()) {
            req.putHeader("Content-Type", "application/json");
          }
          return t.requestBody().isEmpty() ? req.send() : req.send(Buffer.buffer(t.requestBody()));
        })
        .compose(resp -> resp.body().map(b -> {
          Map<String, String> h = new java.util.LinkedHashMap<>();
          resp.headers().forEach(e -> h.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
          return new Answer(resp.statusCode(), h, b.toString());
        }));
  }

  /** The shape of a JSON value: keys in order with the shapes of their values, and the kind of each scalar. */
  static String shape(Object v) {
    if (v instanceof JsonObject o) {
      StringBuilder sb = new StringBuilder("{");
      for (Map.Entry<String, Object> e : o) {
        sb.append(sb.length() > 1 ? "," : "").append(e.getKey()).append(':').append(shape(e.getValue()));
      }
      return sb.append('}').toString();
    }
    if (v instanceof JsonArray a) {
      List<String> items = new ArrayList<>();
      for (Object item : a) {
        String s = shape(item);
        if (items.isEmpty() || !items.get(items.size() - 1).equals(s)) {
          items.add(s);
        }
      }
      return "[" + String.join(",", items) + "]";
    }
    return v == null ? "null" : v instanceof String ? "string" : v instanceof Boolean ? "bool" : "number";
  }

  /** One word per event, runs of the same word collapsed: role, content+, finish, usage, [DONE]. */
  static List<String> kinds(List<SseEvent> events) {
    List<String> out = new ArrayList<>();
    for (SseEvent e : events) {
      String k = e.is(SseEvent.DONE) ? "[DONE]" : e.is(SseEvent.ERROR) ? "error" : e.is(SseEvent.OUTPUT) ? "content+"
          : e.is(SseEvent.FINISH) ? "finish" : e.isUsageOnly() ? "usage" : "role";
      k += e.is(SseEvent.USAGE) && !e.isUsageOnly() ? "+usage" : "";
      k += e.is(SseEvent.TIMINGS) ? "+timings" : "";
      if (out.isEmpty() || !out.get(out.size() - 1).equals(k)) {
        out.add(k);
      }
    }
    return out;
  }

  static List<SseEvent> events(String body) {
    List<SseEvent> out = new ArrayList<>();
    new dev.tiergate.stream.SseFramer(1 << 20).feed(Buffer.buffer(body), out::add);
    return out;
  }

  /** The shapes of the events, one per kind (the first of each run), in order. */
  static List<String> shapes(List<SseEvent> events) {
    List<String> out = new ArrayList<>();
    String last = null;
    for (SseEvent e : events) {
      String s = e.is(SseEvent.DONE) ? "[DONE]" : shape(new JsonObject(e.data()));
      if (!s.equals(last)) {
        out.add(s);
      }
      last = s;
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"06a_chat_stream_usage", "06b_chat_stream_nousage", "06c_chat_stream_long", "07b_completions_stream"})
  void aStreamHasTheEnginesEventsInTheEnginesOrder(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    Answer a = send(t);
    assertEquals(t.status(), a.status(), a.body());
    assertEquals(t.header("content-type"), a.headers().get("content-type"));
    assertEquals(t.header("server"), a.headers().get("server"));
    assertEquals(t.header("x-accel-buffering"), a.headers().get("x-accel-buffering"));
    List<SseEvent> real = t.events();
    List<SseEvent> simulated = events(a.body());
    assertEquals(kinds(real), kinds(simulated), a.body());
    assertEquals(shapes(real), shapes(simulated));
  }

  @ParameterizedTest
  @ValueSource(strings = {"05_chat_nonstream", "07a_completions_nonstream", "15d_unknown_role"})
  void aWholeAnswerHasTheEnginesShape(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    Answer a = send(t);
    assertEquals(t.status(), a.status(), a.body());
    assertEquals(t.header("content-type"), a.headers().get("content-type"));
    JsonObject real = new JsonObject(t.bodyText());
    JsonObject simulated = new JsonObject(a.body());
    assertEquals(shape(real), shape(simulated));
    assertEquals(real.getJsonArray("choices").size(), simulated.getJsonArray("choices").size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"08a_chat_prompt_6k_nonstream", "08b_chat_prompt_6k_stream", "08c_completions_prompt_6k",
      "08d_completions_prompt_2k", "09a_bad_json", "09b_missing_messages", "09c_unknown_route", "09d_get_on_post_route"})
  void anErrorHasTheEnginesStatusAndEnvelope(String capture) {
    Transcript t = Transcript.llamacpp(capture);
    Answer a = send(t);
    assertEquals(t.status(), a.status(), a.body());
    assertEquals(t.header("content-type"), a.headers().get("content-type"));
    JsonObject real = new JsonObject(t.bodyText());
    JsonObject simulated = new JsonObject(a.body());
    assertEquals(shape(real), shape(simulated));
    assertEquals(real.getJsonObject("error").getString("type"), simulated.getJsonObject("error").getString("type"));
    assertEquals(real.getJsonObject("error").getValue("code"), simulated.getJsonObject("error").getValue("code"));
  }

  // 05e (tools) is not compared: the captured model has random weights and answered with text,
  // where the sim, by design, calls the weather tool it was offered.

  @ParameterizedTest
  @ValueSource(strings = {"15a_bad_role_type", "15b_bad_content_part_text", "15c_null_tool_call_id", "15e_max_tokens_string"})
  void aBodyWithWrongNestedTypesIsRefusedAsTheEngineRefusesIt(String capture) {
    anErrorHasTheEnginesStatusAndEnvelope(capture);
  }

  /** llama.cpp (b10587) answers n choices: one choices[] entry per index, usage of one choice (05g). */
  @Test
  void nChoicesAreAnsweredAsTheEngineAnswersThem() {
    aWholeAnswerHasTheEnginesShape("05g_chat_n2");
    JsonObject simulated = new JsonObject(send(Transcript.llamacpp("05g_chat_n2")).body());
    JsonArray choices = simulated.getJsonArray("choices");
    assertEquals(0, choices.getJsonObject(0).getInteger("index"));
    assertEquals(1, choices.getJsonObject(1).getInteger("index"));
    JsonObject real = new JsonObject(Transcript.llamacpp("05g_chat_n2").bodyText());
    assertEquals(real.getJsonObject("usage").getInteger("completion_tokens"),
        simulated.getJsonObject("usage").getInteger("completion_tokens"), "one choice's tokens, not the sum");
    assertEquals(simulated.getJsonObject("usage").getInteger("completion_tokens"),
        simulated.getJsonObject("timings").getInteger("predicted_n"));
  }

  /** Interleaved choices, each ended by its own finish chunk and usage + timings event, then one [DONE] (06d). */
  @Test
  void nChoicesAreStreamedAsTheEngineStreamsThem() {
    aStreamHasTheEnginesEventsInTheEnginesOrder("06d_chat_stream_n2");
    Transcript t = Transcript.llamacpp("06d_chat_stream_n2");
    assertEquals(usageEvents(t.events()), usageEvents(events(send(t).body())));
  }

  /** Per event: the choice index it carries, or "usage:N" for a usage event with its completion tokens. */
  static List<String> usageEvents(List<SseEvent> events) {
    List<String> out = new ArrayList<>();
    for (SseEvent e : events) {
      if (e.is(SseEvent.DONE)) {
        continue;
      }
      JsonObject o = new JsonObject(e.data());
      JsonArray choices = o.getJsonArray("choices");
      if (choices.isEmpty()) {
        out.add("usage:" + o.getJsonObject("usage").getInteger("completion_tokens"));
      } else if (choices.getJsonObject(0).getValue("finish_reason") != null) {
        out.add("finish");
      }
    }
    return out;
  }

  @Test
  void theContextErrorReportsTheSameCounts() {
    Transcript t = Transcript.llamacpp("08a_chat_prompt_6k_nonstream");
    JsonObject simulated = new JsonObject(send(t).body()).getJsonObject("error");
    assertEquals(1024, simulated.getInteger("n_ctx"));
    assertTrue(simulated.getString("message").endsWith("exceeds the available context size (1024 tokens), try increasing it"),
        simulated.getString("message"));
  }

  @Test
  void healthAndTheModelListHaveTheEnginesShape() {
    Transcript health = Transcript.llamacpp("01_health");
    Answer h = send(health);
    assertEquals(200, h.status());
    assertEquals(health.bodyText(), h.body());
    assertEquals(health.header("content-type"), h.headers().get("content-type"));
    Transcript models = Transcript.llamacpp("02_v1_models");
    JsonObject real = new JsonObject(models.bodyText());
    JsonObject simulated = new JsonObject(send(models).body());
    assertEquals(keys(real), keys(simulated), "the same keys, nested too");
    assertEquals("models/tiny.gguf", simulated.getJsonArray("data").getJsonObject(0).getString("id"));
  }

  @Test
  void propsCarriesTheWindowWhereTheEngineDoes() {
    Transcript props = Transcript.llamacpp("03b_props");
    Answer a = send(props);
    JsonObject real = new JsonObject(props.bodyText());
    JsonObject simulated = new JsonObject(a.body());
    assertEquals(real.getJsonObject("default_generation_settings").getInteger("n_ctx"),
        simulated.getJsonObject("default_generation_settings").getInteger("n_ctx"));
    for (String key : simulated.fieldNames()) {
      assertTrue(real.containsKey(key) || key.equals("build_info") || key.equals("is_sleeping"), "a key the engine has: " + key);
    }
  }

  /** Keys only (values' kinds ignored), nested. */
  static String keys(Object v) {
    if (v instanceof JsonObject o) {
      StringBuilder sb = new StringBuilder("{");
      for (Map.Entry<String, Object> e : o) {
        sb.append(sb.length() > 1 ? "," : "").append(e.getKey()).append(':').append(keys(e.getValue()));
      }
      return sb.append('}').toString();
    }
    if (v instanceof JsonArray a) {
      return a.isEmpty() ? "[]" : "[" + keys(a.getValue(0)) + "]";
    }
    return "";
  }

  static String encode(Object o) {
    return Json.encode(o);
  }
}
