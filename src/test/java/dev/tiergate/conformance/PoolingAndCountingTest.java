package dev.tiergate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimStats;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Embeddings and rerank go only to backends that declare them (a pooling model), the token counters
 * only to engines that have them; nothing of either is translated. A tier without the endpoint is
 * skipped ({@code fallback:<tier>-unsupported}); when no tier may serve it, a 404 names the endpoint and
 * the tiers. An engine that turns out not to serve what it was declared for (llama.cpp's 501) passes
 * the request on without being charged.
 */
@ExtendWith(BlockedLoopGuard.class)
class PoolingAndCountingTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions base = SimOptions.defaults("vllm").withTtftBaseMs(2).withPrefillTps(1_000_000).withDecodeTps(2000)
        .withDenseBatching(false).withContextWindow(40960).withModel("served");
    gw = TestGateway.builder()
        .sim("gen-1", base)
        .sim("pool-1", base.withEngine("llamacpp").withPooling(true))
        .sim("vpool-1", base.withPooling(true))
        .sim("liar-1", base.withEngine("llamacpp"))
        .sim("llama-1", base.withEngine("llamacpp"))
        .sim("ik-1", base.withEngine("ikllama"))
        .sim("sg-1", base.withEngine("sglang"))
        .config("""
            health: { intervalMs: 600000, failureThreshold: 1000 }
            routing: { defaultTier: gen }
            tiers:
              - name: gen
                fallback: [pool]
                backends: [{ name: gen-1, url: "${SIM_GEN_1}", engine: vllm, model: served }]
              - name: pool
                fallback: []
                backends: [{ name: pool-1, url: "${SIM_POOL_1}", engine: llamacpp, model: served, serves: [embeddings, rerank] }]
              - name: vpool
                fallback: []
                backends: [{ name: vpool-1, url: "${SIM_VPOOL_1}", engine: vllm, model: served, serves: [embeddings, rerank] }]
              - name: liar
                fallback: [vpool]
                backends: [{ name: liar-1, url: "${SIM_LIAR_1}", engine: llamacpp, model: served, serves: [embeddings] }]
              - name: llama
                fallback: []
                backends: [{ name: llama-1, url: "${SIM_LLAMA_1}", engine: llamacpp, model: served }]
              - name: ik
                fallback: []
                backends: [{ name: ik-1, url: "${SIM_IK_1}", engine: ikllama, model: served }]
              - name: sg
                fallback: [llama]
                backends: [{ name: sg-1, url: "${SIM_SG_1}", engine: sglang, model: served, serves: [messages_count_tokens] }]
            """)
        .start();
    for (String t : new String[] {"pool", "vpool", "liar", "gen"}) {
      gw.post("/v1/embeddings", embed(), "x-tiergate-tier", t);
      gw.post("/v1/rerank", rerank(), "x-tiergate-tier", t);
    }
    gw.post("/v1/messages/count_tokens", count(), "x-tiergate-tier", "llama");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String embed() {
    return "{\"model\":\"client-embed\",\"input\":[\"hello world\",\"second\"]}";
  }

  static String rerank() {
    return "{\"model\":\"client-rerank\",\"query\":\"weather in paris\",\"documents\":[\"stock prices\",\"paris weather today\"]}";
  }

  static String count() {
    return "{\"model\":\"client\",\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":\"Count to five.\"}]}";
  }

  @ParameterizedTest
  @ValueSource(strings = {"pool", "vpool"})
  void embeddingsPassThroughToAPoolingBackend(String tier) {
    TestGateway.Reply r = gw.post("/v1/embeddings", embed(), "x-tiergate-tier", tier);
    assertEquals(200, r.status(), r.body());
    JsonObject o = new JsonObject(r.body());
    assertEquals("list", o.getString("object"));
    assertEquals("client-embed", o.getString("model"), "the client's model name");
    assertEquals(2, o.getJsonArray("data").size());
    assertEquals(8, o.getJsonArray("data").getJsonObject(1).getJsonArray("embedding").size());
    assertTrue(o.getJsonObject("usage").getInteger("prompt_tokens") > 0);
    assertEquals(tier + "-1", r.header("x-tiergate-backend"));
    JsonObject up = new JsonObject(gw.sim(tier + "-1").stats().lastRequestBody());
    assertEquals("served", up.getString("model"), "the engine gets its served name");
    assertEquals(new JsonArray().add("hello world").add("second"), up.getJsonArray("input"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"pool", "vpool"})
  void rerankPassesThrough(String tier) {
    TestGateway.Reply r = gw.post("/v1/rerank", rerank(), "x-tiergate-tier", tier);
    assertEquals(200, r.status(), r.body());
    JsonArray results = new JsonObject(r.body()).getJsonArray("results");
    assertEquals(2, results.size());
    assertTrue(results.getJsonObject(1).getDouble("relevance_score") > results.getJsonObject(0).getDouble("relevance_score"),
        r.body());
  }

  @Test
  void aTierWithoutEmbeddingsIsSkipped() {
    TestGateway.Reply r = gw.post("/v1/embeddings", embed(), "x-tiergate-tier", "gen");
    assertEquals(200, r.status(), r.body());
    assertEquals("pool", r.header("x-tiergate-tier"));
    assertEquals("fallback:gen-unsupported", r.header("x-tiergate-reason"));
  }

  @Test
  void noTierServingTheEndpointIsA404NamingItAndTheTiers() {
    TestGateway.Reply r = gw.post("/v1/embeddings", embed(), "x-tiergate-tier", "gen", "x-tiergate-strict", "true");
    assertEquals(404, r.status(), r.body());
    JsonObject err = EngineConformanceTest.openAiError(r.body());
    assertEquals("endpoint_not_supported", err.getString("code"));
    assertTrue(err.getString("message").contains("/v1/embeddings") && err.getString("message").contains("gen"), err.encode());
    assertFalse(r.body().contains("pool"), "only the tiers that were considered: " + r.body());
  }

  @Test
  void anEngineThatTurnsOutNotToServeItPassesTheRequestOnUncharged() {
    TestGateway.Reply r = gw.post("/v1/embeddings", embed(), "x-tiergate-tier", "liar");
    assertEquals(200, r.status(), r.body());
    assertEquals("vpool-1", r.header("x-tiergate-backend"));
    assertEquals("liar-1:client_error", r.header("x-tiergate-failed"));
    assertEquals(0, gw.gateway().services().fleet().get("liar-1").consecutiveFailures());
    TestGateway.Reply alone = gw.post("/v1/embeddings", embed(), "x-tiergate-tier", "liar", "x-tiergate-strict", "true");
    assertEquals(404, alone.status(), alone.body());
    JsonObject err = EngineConformanceTest.openAiError(alone.body());
    assertTrue(err.getString("message").contains("--embeddings"), "the engine's own words: " + err.encode());
  }

  @Test
  void countTokensPassesThroughAndAgreesWithTheEnginesUsage() {
    TestGateway.Reply c = gw.post("/v1/messages/count_tokens", count(), "x-tiergate-tier", "llama");
    assertEquals(200, c.status(), c.body());
    int counted = new JsonObject(c.body()).getInteger("input_tokens");
    String gen = "{\"model\":\"client\",\"max_tokens\":3,\"system\":\"Be brief.\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Count to five.\"}]}";
    TestGateway.Reply m = gw.post("/v1/messages", gen, "x-tiergate-tier", "llama");
    JsonObject usage = new JsonObject(m.body()).getJsonObject("usage");
    assertEquals(counted, usage.getInteger("input_tokens") + usage.getInteger("cache_read_input_tokens"), m.body());
  }

  @Test
  void theOpenAiCountersPassThroughToLlamaCpp() {
    TestGateway.Reply r = gw.post("/v1/responses/input_tokens", "{\"model\":\"m\",\"input\":\"Count to five.\"}",
        "x-tiergate-tier", "llama");
    assertEquals(200, r.status(), r.body());
    assertEquals("response.input_tokens", new JsonObject(r.body()).getString("object"));
    TestGateway.Reply chat = gw.post("/v1/chat/completions/input_tokens",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Count to five.\"}]}", "x-tiergate-tier", "llama");
    assertEquals(200, chat.status(), chat.body());
    assertTrue(new JsonObject(chat.body()).getInteger("input_tokens") > 0);
  }

  @Test
  void aCounterNoEngineHasIsA404InTheApisShape() {
    TestGateway.Reply r = gw.post("/v1/messages/count_tokens", count(), "x-tiergate-tier", "ik");
    assertEquals(404, r.status(), r.body());
    JsonObject o = new JsonObject(r.body());
    assertEquals(Set.of("type", "error"), o.fieldNames(), "Anthropic's envelope on /v1/messages/*: " + r.body());
    assertEquals("not_found_error", o.getJsonObject("error").getString("type"));
    TestGateway.Reply openai = gw.post("/v1/responses/input_tokens", "{\"model\":\"m\",\"input\":\"x\"}", "x-tiergate-tier", "gen",
        "x-tiergate-strict", "true");
    assertEquals(404, openai.status(), openai.body());
    assertEquals("endpoint_not_supported", EngineConformanceTest.openAiError(openai.body()).getString("code"));
  }

  @Test
  void aBuildWithoutTheRoutePassesTheRequestOn() {
    // Declared, but this SGLang build answers FastAPI's bare 404 on /v1/messages/count_tokens.
    TestGateway.Reply r = gw.post("/v1/messages/count_tokens", count(), "x-tiergate-tier", "sg");
    assertEquals(200, r.status(), r.body());
    assertEquals("llama-1", r.header("x-tiergate-backend"));
    assertEquals("sg-1:client_error", r.header("x-tiergate-failed"));
    TestGateway.Reply chat = gw.post("/v1/chat/completions/input_tokens",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "x-tiergate-tier", "sg",
        "x-tiergate-strict", "true");
    assertEquals(404, chat.status(), "not declared: the router refuses it before any engine: " + chat.body());
  }

  @Test
  void poolingRequestsAreCountedUnderTheirEndpointWithoutApproximateTokens() {
    double before = count("pool-1", "embeddings");
    double approxBefore = approximate("pool-1");
    gw.post("/v1/embeddings", embed(), "x-tiergate-tier", "pool");
    Wire.await("the request is recorded", 5_000, () -> count("pool-1", "embeddings") == before + 1);
    assertEquals(approxBefore, approximate("pool-1"), "an embedding has no output to count");
  }

  static double count(String backend, String endpoint) {
    Counter c = gw.gateway().services().metrics().registry().find("tiergate_requests").tag("backend", backend)
        .tag("endpoint", endpoint).tag("outcome", "ok").counter();
    return c == null ? 0 : c.count();
  }

  static double approximate(String backend) {
    Counter c = gw.gateway().services().metrics().registry().find("tiergate_approximate_token_counts").tag("backend", backend)
        .counter();
    return c == null ? 0 : c.count();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v1/embeddings", "/v1/rerank", "/v1/messages/count_tokens"})
  void aClientLeavingCancelsTheUpstream(String path) {
    String tier = path.contains("count") ? "llama" : "pool";
    SimStats s = gw.sim(tier + "-1").stats();
    int aborted = s.aborted();
    String body = path.contains("count") ? count() : path.contains("rerank") ? rerank() : embed();
    HttpClientRequest req = TestGateway.await(gw.onLoop(() -> gw.client().request(new RequestOptions()
        .setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port()).setURI(path)
        .putHeader("content-type", "application/json").putHeader("x-tiergate-tier", tier)
        .putHeader("x-sim-fault", "stall-first"))));
    gw.onLoop(() -> req.send(body));
    Wire.await("the engine holds the request", 5_000, () -> s.activeStreams() == 1);
    req.connection().close();
    Wire.await("the engine saw the request aborted", 2_000, () -> s.aborted() == aborted + 1 && s.activeStreams() == 0);
  }
}
