package dev.tiergate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Responses and Messages through the gateway for every engine, native and translated: per engine
 * {@code e} the tier {@code e} uses the engine's own implementation where it has one (ik_llama.cpp
 * has none, so it is translated there too) and the tier {@code e-tr} is forced to translate
 * ({@code translate: [responses, messages]}). Whatever the path, the client sees the API's shapes.
 */
@ExtendWith(BlockedLoopGuard.class)
class ApiConformanceTest {
  static final List<String> ENGINES = List.of("vllm", "sglang", "llamacpp", "ikllama");
  static TestGateway gw;

  /** Every (engine, mode) pair: mode "" is native where the engine has it, "-tr" is translated. */
  static List<String> tiers() {
    return ENGINES.stream().flatMap(e -> java.util.stream.Stream.of(e, e + "-tr")).toList();
  }

  @BeforeAll
  static void start() {
    TestGateway.Builder b = TestGateway.builder();
    StringBuilder yaml = new StringBuilder("""
        health: { intervalMs: 600000, failureThreshold: 1000 }
        routing: { defaultTier: vllm }
        tiers:
        """);
    for (String e : ENGINES) {
      SimOptions sim = SimOptions.defaults(e).withModel(e + "-served").withTtftBaseMs(2).withPrefillTps(1_000_000)
          .withDecodeTps(2000).withDenseBatching(false).withContextWindow(40960);
      b.sim(e + "-1", sim);
      b.sim(e + "-tr", sim);
      yaml.append("  - name: ").append(e).append("\n    fallback: []\n    backends: [{ name: ").append(e)
          .append("-1, url: \"${SIM_").append(e.toUpperCase()).append("_1}\", engine: ").append(e).append(", model: ")
          .append(e).append("-served }]\n");
      yaml.append("  - name: ").append(e).append("-tr\n    fallback: []\n    backends: [{ name: ").append(e)
          .append("-tr, url: \"${SIM_").append(e.toUpperCase()).append("_TR}\", engine: ").append(e).append(", model: ")
          .append(e).append("-served, translate: [responses, messages] }]\n");
    }
    gw = b.config(yaml.toString()).start();
    warmUp();
  }

  /** First use of each path (Jackson trees, translators) happens here, not inside a test's event-loop budget. */
  static void warmUp() {
    for (String t : tiers()) {
      post(t, "/v1/messages", messages(true, ""));
      post(t, "/v1/messages", messages(false, ""));
      post(t, "/v1/responses", responses(true, ""));
      post(t, "/v1/responses", responses(false, ""));
    }
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String backend(String tier) {
    return tier.endsWith("-tr") ? tier : tier + "-1";
  }

  static boolean translated(String tier) {
    return tier.endsWith("-tr") || tier.startsWith("ikllama");
  }

  static TestGateway.Reply post(String tier, String path, String body, String... headers) {
    String[] all = new String[headers.length + 4];
    all[0] = "x-tiergate-tier";
    all[1] = tier;
    all[2] = "x-tiergate-strict";
    all[3] = "true";
    System.arraycopy(headers, 0, all, 4, headers.length);
    return gw.post(path, body, all);
  }

  static String messages(boolean stream, String extra) {
    return "{\"model\":\"client-model\",\"max_tokens\":6,\"stream\":" + stream + extra
        + ",\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":\"Say something\"}]}";
  }

  static String responses(boolean stream, String extra) {
    return "{\"model\":\"client-model\",\"max_output_tokens\":6,\"stream\":" + stream + extra
        + ",\"instructions\":\"Be brief.\",\"input\":[{\"role\":\"user\",\"content\":\"Say something\"}]}";
  }

  static JsonObject upstream(String tier) {
    return new JsonObject(gw.sim(backend(tier)).stats().lastRequestBody());
  }

  /** Which path the engine was called on: what it received tells native from translated. */
  static void assertCalledAs(String tier, String api) {
    JsonObject up = upstream(tier);
    if (translated(tier)) {
      assertTrue(up.containsKey("messages") && !up.containsKey("system") && !up.containsKey("input"),
          "a chat request reached the engine: " + up.encode());
      assertEquals(tier.replace("-tr", "") + "-served", up.getString("model"));
    } else {
      assertTrue(api.equals("messages") ? up.containsKey("system") : up.containsKey("input"),
          "the client's own API reached the engine: " + up.encode());
      assertFalse(up.containsKey("stream_options"), "no chat-only fields on a native request: " + up.encode());
    }
  }

  // --- Messages -----------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("tiers")
  void aMessagesStreamHasAnthropicsShape(String tier) {
    TestGateway.Reply r = post(tier, "/v1/messages", messages(true, ""));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.header("content-type").startsWith("text/event-stream"));
    List<Wire.Named> ev = Wire.named(r.body());
    List<String> names = ev.stream().map(Wire.Named::event).toList();
    assertEquals("message_start", names.get(0), names.toString());
    assertEquals(List.of("content_block_stop", "message_delta", "message_stop"), names.subList(names.size() - 3, names.size()));
    assertEquals("client-model", ev.get(0).data().getJsonObject("message").getString("model"), "the client's model name");
    StringBuilder text = new StringBuilder();
    for (Wire.Named e : ev) {
      if (e.event().equals("content_block_delta")) {
        text.append(e.data().getJsonObject("delta").getString("text"));
      }
    }
    assertEquals(6, text.toString().strip().split(" ").length, r.body());
    JsonObject delta = ev.get(ev.size() - 2).data();
    assertEquals("max_tokens", delta.getJsonObject("delta").getString("stop_reason"));
    assertEquals(6, delta.getJsonObject("usage").getInteger("output_tokens"));
    assertCalledAs(tier, "messages");
  }

  @ParameterizedTest
  @MethodSource("tiers")
  void aWholeMessagesAnswerHasAnthropicsShape(String tier) {
    TestGateway.Reply r = post(tier, "/v1/messages", messages(false, ""));
    assertEquals(200, r.status(), r.body());
    JsonObject m = new JsonObject(r.body());
    assertEquals("message", m.getString("type"));
    assertEquals("assistant", m.getString("role"));
    assertEquals("client-model", m.getString("model"));
    assertEquals("max_tokens", m.getString("stop_reason"));
    JsonArray content = m.getJsonArray("content");
    assertEquals("text", content.getJsonObject(content.size() - 1).getString("type"), r.body());
    assertEquals(6, content.getJsonObject(content.size() - 1).getString("text").strip().split(" ").length, r.body());
    assertEquals(6, m.getJsonObject("usage").getInteger("output_tokens"));
    assertTrue(m.getJsonObject("usage").getInteger("input_tokens") > 0, r.body());
    assertCalledAs(tier, "messages");
  }

  @ParameterizedTest
  @MethodSource("tiers")
  void aToolCallRoundTripsThroughMessages(String tier) {
    String tools = ",\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather for a city\",\"input_schema\":"
        + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]";
    String ask = "{\"model\":\"client-model\",\"max_tokens\":40,\"stream\":true" + tools
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"}]}";
    TestGateway.Reply first = post(tier, "/v1/messages", ask);
    assertEquals(200, first.status(), first.body());
    List<Wire.Named> ev = Wire.named(first.body());
    JsonObject start = ev.stream().filter(e -> e.event().equals("content_block_start")
        && e.data().getJsonObject("content_block").getString("type").equals("tool_use")).findFirst().orElseThrow().data();
    JsonObject block = start.getJsonObject("content_block");
    assertEquals("get_weather", block.getString("name"));
    StringBuilder args = new StringBuilder();
    for (Wire.Named e : ev) {
      if (e.event().equals("content_block_delta") && e.data().getInteger("index").equals(start.getInteger("index"))) {
        args.append(e.data().getJsonObject("delta").getString("partial_json"));
      }
    }
    assertEquals(new JsonObject().put("city", "Paris"), new JsonObject(args.toString()));
    JsonObject delta = ev.stream().filter(e -> e.event().equals("message_delta")).findFirst().orElseThrow().data();
    assertEquals("tool_use", delta.getJsonObject("delta").getString("stop_reason"));
    if (translated(tier)) {
      JsonObject up = upstream(tier);
      assertEquals("get_weather", up.getJsonArray("tools").getJsonObject(0).getJsonObject("function").getString("name"));
    }

    String id = block.getString("id");
    String answer = "{\"model\":\"client-model\",\"max_tokens\":5,\"stream\":true" + tools
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"" + id
        + "\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"" + id + "\",\"content\":\"18C, sunny\"}]}]}";
    TestGateway.Reply second = post(tier, "/v1/messages", answer);
    assertEquals(200, second.status(), second.body());
    List<String> blockTypes = Wire.named(second.body()).stream().filter(e -> e.event().equals("content_block_start"))
        .map(e -> e.data().getJsonObject("content_block").getString("type")).toList();
    assertEquals(List.of("text"), blockTypes, "the model answers after the tool result: " + second.body());
    if (translated(tier)) {
      JsonArray msgs = upstream(tier).getJsonArray("messages");
      JsonObject call = msgs.getJsonObject(1);
      assertEquals("assistant", call.getString("role"));
      assertEquals(id, call.getJsonArray("tool_calls").getJsonObject(0).getString("id"));
      assertEquals(new JsonObject().put("city", "Paris"),
          new JsonObject(call.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").getString("arguments")));
      JsonObject result = msgs.getJsonObject(2);
      assertEquals("tool", result.getString("role"));
      assertEquals(id, result.getString("tool_call_id"));
      assertEquals("18C, sunny", result.getString("content"));
    }
  }

  @ParameterizedTest
  @MethodSource("tiers")
  void messagesErrorsUseAnthropicsEnvelope(String tier) {
    TestGateway.Reply bad = post(tier, "/v1/messages", "{\"model\":\"m\",\"max_tokens\":5,\"messages\":\"nope\"}");
    assertEquals(400, bad.status(), bad.body());
    JsonObject err = anthropicError(bad.body());
    assertEquals("invalid_request_error", err.getString("type"));
    assertTrue(err.getString("message").contains("messages"), err.encode());
    for (String content : new String[] {"42", "[\"not a block\"]"}) {
      TestGateway.Reply badContent = post(tier, "/v1/messages", "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":"
          + "\"user\",\"content\":" + content + "}]}");
      assertEquals(400, badContent.status(), badContent.body());
      assertTrue(anthropicError(badContent.body()).getString("message").contains("messages[0].content"), badContent.body());
    }

    TestGateway.Reply engine = post(tier, "/v1/messages", messages(false, ""), "x-sim-fault", "error-500");
    assertEquals(502, engine.status(), engine.body());
    assertEquals("api_error", anthropicError(engine.body()).getString("type"));
    assertTrue(engine.header("retry-after") != null);

    TestGateway.Reply mid = post(tier, "/v1/messages", messages(true, ""), "x-sim-fault", "error-mid", "x-sim-fault-after", "2");
    assertEquals(200, mid.status(), mid.body());
    List<Wire.Named> ev = Wire.named(mid.body());
    Wire.Named last = ev.get(ev.size() - 1);
    assertEquals("error", last.event(), mid.body());
    assertEquals(Set.of("type", "error"), last.data().fieldNames());
    assertEquals("api_error", last.data().getJsonObject("error").getString("type"));
    assertFalse(Wire.names(mid.body()).contains("message_stop"), "a failed stream does not look finished");
  }

  static JsonObject anthropicError(String body) {
    JsonObject o = new JsonObject(body);
    assertEquals(Set.of("type", "error"), o.fieldNames(), body);
    assertEquals("error", o.getString("type"));
    assertEquals(Set.of("type", "message"), o.getJsonObject("error").fieldNames(), body);
    return o.getJsonObject("error");
  }

  @Test
  void theClientsAnthropicKeyIsNeverForwarded() {
    TestGateway.Reply r = post("vllm", "/v1/messages", messages(false, ""), "x-api-key", "sk-ant-client-secret",
        "anthropic-version", "2023-06-01");
    assertEquals(200, r.status(), r.body());
    java.util.Map<String, String> seen = gw.sim("vllm-1").stats().lastRequestHeaders();
    assertFalse(seen.containsKey("x-api-key"), "the client's key is for the gateway: " + seen.keySet());
    assertFalse(seen.values().stream().anyMatch(v -> v.contains("sk-ant-client-secret")), seen.toString());
    assertEquals("2023-06-01", seen.get("anthropic-version"), "the API version is passed on as any end-to-end header");
  }

  // --- Responses ----------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("tiers")
  void aResponsesStreamHasOpenAisShape(String tier) {
    TestGateway.Reply r = post(tier, "/v1/responses", responses(true, ""));
    assertEquals(200, r.status(), r.body());
    List<Wire.Named> ev = Wire.named(r.body());
    List<String> names = ev.stream().map(Wire.Named::event).toList();
    assertEquals(List.of("response.created", "response.in_progress"), names.subList(0, 2), names.toString());
    String end = names.get(names.size() - 1);
    assertTrue(end.equals("response.completed") || end.equals("response.incomplete"), names.toString());
    StringBuilder text = new StringBuilder();
    for (Wire.Named e : ev) {
      if (e.event().equals("response.output_text.delta")) {
        text.append(e.data().getString("delta"));
      }
    }
    assertEquals(6, text.toString().strip().split(" ").length, r.body());
    JsonObject done = ev.get(ev.size() - 1).data().getJsonObject("response");
    assertEquals("client-model", done.getString("model"));
    assertEquals(6, done.getJsonObject("usage").getInteger("output_tokens"));
    assertTrue(done.getJsonObject("usage").getInteger("input_tokens") > 0);
    String finalText = done.getJsonArray("output").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("type").equals("message"))
        .map(o -> o.getJsonArray("content").getJsonObject(0).getString("text")).collect(Collectors.joining());
    assertEquals(text.toString(), finalText, "the final response repeats the streamed text");
    assertCalledAs(tier, "responses");
  }

  @ParameterizedTest
  @MethodSource("tiers")
  void aWholeResponseHasOpenAisShape(String tier) {
    TestGateway.Reply r = post(tier, "/v1/responses", responses(false, ""));
    assertEquals(200, r.status(), r.body());
    JsonObject o = new JsonObject(r.body());
    assertEquals("response", o.getString("object"));
    assertEquals("client-model", o.getString("model"));
    JsonObject msg = o.getJsonArray("output").stream().map(x -> (JsonObject) x)
        .filter(x -> x.getString("type").equals("message")).findFirst().orElseThrow();
    assertEquals(6, msg.getJsonArray("content").getJsonObject(0).getString("text").strip().split(" ").length, r.body());
    assertEquals(6, o.getJsonObject("usage").getInteger("output_tokens"));
    assertCalledAs(tier, "responses");
  }

  @ParameterizedTest
  @MethodSource("tiers")
  void aFunctionCallStreamsAsAResponsesItem(String tier) {
    String body = "{\"model\":\"client-model\",\"max_output_tokens\":40,\"stream\":true,"
        + "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}],"
        + "\"input\":\"What is the weather in Paris?\"}";
    TestGateway.Reply r = post(tier, "/v1/responses", body);
    assertEquals(200, r.status(), r.body());
    List<Wire.Named> ev = Wire.named(r.body());
    JsonObject item = ev.stream().filter(e -> e.event().equals("response.output_item.added")
        && e.data().getJsonObject("item").getString("type").equals("function_call")).findFirst().orElseThrow()
        .data().getJsonObject("item");
    assertEquals("get_weather", item.getString("name"));
    String args = ev.stream().filter(e -> e.event().equals("response.function_call_arguments.delta"))
        .map(e -> e.data().getString("delta")).collect(Collectors.joining());
    assertEquals(new JsonObject().put("city", "Paris"), new JsonObject(args));
  }

  @ParameterizedTest
  @MethodSource("tiers")
  void responsesErrorsUseOpenAisShapes(String tier) {
    TestGateway.Reply bad = post(tier, "/v1/responses", "{\"model\":\"m\",\"input\":[{\"role\":\"robot\",\"content\":\"x\"}]}");
    assertEquals(400, bad.status(), bad.body());
    JsonObject err = EngineConformanceTest.openAiError(bad.body());
    assertEquals("input[0].role", err.getString("param"));
    TestGateway.Reply badContent = post(tier, "/v1/responses", "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":42}]}");
    assertEquals(400, badContent.status(), badContent.body());
    assertEquals("input[0].content", EngineConformanceTest.openAiError(badContent.body()).getString("param"), badContent.body());
    TestGateway.Reply badPart = post(tier, "/v1/responses", "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[7]}]}");
    assertEquals(400, badPart.status(), badPart.body());
    assertEquals("input[0].content[0]", EngineConformanceTest.openAiError(badPart.body()).getString("param"), badPart.body());

    TestGateway.Reply mid = post(tier, "/v1/responses", responses(true, ""), "x-sim-fault", "error-mid", "x-sim-fault-after", "2");
    List<Wire.Named> ev = Wire.named(mid.body());
    Wire.Named last = ev.get(ev.size() - 1);
    assertEquals("error", last.event(), mid.body());
    assertTrue(last.data().getString("message").contains("simulated engine failure"), last.data().encode());
    assertFalse(Wire.names(mid.body()).contains("response.completed"));
  }

  // --- disconnects ---------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("tiers")
  void aClientLeavingAMessagesOrResponsesStreamCancelsTheUpstream(String tier) {
    for (String path : new String[] {"/v1/messages", "/v1/responses"}) {
      dev.tiergate.sim.SimStats s = gw.sim(backend(tier)).stats();
      int aborted = s.aborted();
      String body = path.equals("/v1/messages")
          ? messages(true, "").replace("\"max_tokens\":6", "\"max_tokens\":30000")
          : responses(true, "").replace("\"max_output_tokens\":6", "\"max_output_tokens\":30000");
      Wire.Reader r = Wire.Reader.open(gw, path, body, "x-tiergate-tier", tier, "x-sim-decode-tps", "50");
      r.awaitText(path.equals("/v1/messages") ? "text_delta" : "output_text.delta", 5_000);
      r.closeConnection();
      Wire.await(tier + " " + path + ": the engine saw the stream aborted", 2_000, () -> s.aborted() == aborted + 1);
    }
  }

  // --- metrics ------------------------------------------------------------------------------

  @Test
  void requestsAreCountedUnderTheirEndpoint() {
    double messagesBefore = count("vllm-tr", "messages");
    double responsesBefore = count("llamacpp-1", "responses");
    post("vllm-tr", "/v1/messages", messages(true, ""));
    post("llamacpp", "/v1/responses", responses(false, ""));
    Wire.await("the requests are recorded", 5_000,
        () -> count("vllm-tr", "messages") == messagesBefore + 1 && count("llamacpp-1", "responses") == responsesBefore + 1);
  }

  static double count(String backend, String endpoint) {
    Counter c = gw.gateway().services().metrics().registry().find("tiergate_requests").tag("backend", backend)
        .tag("endpoint", endpoint).tag("outcome", "ok").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aPreviousResponseCannotBeTranslatedAndSaysWhy() {
    gw.sim("vllm-tr").stats().reset();
    TestGateway.Reply r = post("vllm-tr", "/v1/responses",
        "{\"model\":\"m\",\"previous_response_id\":\"resp_1\",\"input\":\"and then?\"}");
    assertEquals(400, r.status(), r.body());
    assertEquals("previous_response_id", EngineConformanceTest.openAiError(r.body()).getString("param"));
    assertEquals(0, gw.sim("vllm-tr").stats().requests(), "nothing reached the engine");
  }
}
