package dev.tiergate.grafana;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard against a real Prometheus: Prometheus scrapes a gateway that served
 * traffic on every tier (streamed and not, both endpoints, a fallback, a client error) under
 * configured keys (with a refusal for each reason), and every PromQL expression in
 * {@code grafana/dashboards/tiergate.json} must parse and return at least one real number. A
 * renamed metric or a typo in a panel fails here, not in front of a user.
 */
@ExtendWith(BlockedLoopGuard.class)
class DashboardPrometheusTest {
  static final Path DASHBOARD = Path.of("grafana/dashboards/tiergate.json");
  /** With keys configured every request needs one: most traffic is web's, the long prompts batch's. */
  static final String WEB = "web-0123456789abcdef";
  static final String BATCH = "batch-0123456789abcdef";
  /** Only tier fast and one request a minute: its second request and any other tier are refused. */
  static final String CAPPED = "capped-0123456789abcdef";
  static final String UNKNOWN = "intruder-0123456789abcdef";

  @TempDir
  static Path dir;
  static TestGateway gw;
  static PrometheusProcess prometheus;
  static int requests;

  @BeforeAll
  static void start() throws Exception {
    if (PrometheusProcess.find() == null) {
      return; // each test then skips (or fails under CI=true) in requirePrometheus()
    }
    SimOptions quick = SimOptions.defaults("vllm").withModel("m").withDecodeTps(400).withTtftBaseMs(20)
        .withPrefillTps(100_000).withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("fast-1", quick)
        .sim("max-1", quick.withEngine("sglang").withReasoningTokens(4))
        .sim("prefill-1", quick.withEngine("llamacpp"))
        .sim("flaky-1", quick.withFault("error-503"))
        .sim("left-1", quick)
        .sim("right-1", quick)
        .sim("guarded-1", quick)
        .env("WEB_KEY", WEB).env("BATCH_KEY", BATCH).env("CAPPED_KEY", CAPPED)
        .config("""
            routing:
              defaultTier: fast
              rules:
                - { name: long-prompt, when: { promptTokensAtLeast: 2000 }, tier: prefill }
              aliases: { qwen-max: max }
            tiers:
              - name: fast
                scheme: W4A16
                fallback: [max]
                slo: { ttftMs: 10000, tpotMs: 1000 }
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: max
                scheme: W8A16
                fallback: [fast]
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: sglang, model: m }]
              - name: prefill
                scheme: W8A8
                fallback: [max]
                backends: [{ name: prefill-1, url: "${SIM_PREFILL_1}", engine: llamacpp, model: m }]
              - name: flaky
                scheme: W4A16
                fallback: [fast]
                backends: [{ name: flaky-1, url: "${SIM_FLAKY_1}", engine: vllm, model: m }]
              # Two tiers that share "GPUs": a control call (here the sims' own /health) stands in for
              # the service that switches models, so the swap metrics have data.
              - name: left
                lifecycle: { http: { url: "${SIM_LEFT_1}/health", method: GET } }
                backends: [{ name: left-1, url: "${SIM_LEFT_1}", engine: vllm, model: m }]
              - name: right
                lifecycle: { http: { url: "${SIM_RIGHT_1}/health", method: GET } }
                backends: [{ name: right-1, url: "${SIM_RIGHT_1}", engine: vllm, model: m }]
              # Admission control, so its queue has data: a long prompt waits for a live stream.
              - name: guarded
                admission: { longPromptTokens: 1000 }
                fallback: []
                backends: [{ name: guarded-1, url: "${SIM_GUARDED_1}", engine: vllm, model: m }]
            groups:
              - { name: gpus, tiers: [left, right], home: left }
            # Keys, so the Keys row has data; Prometheus scrapes the gateway port without one.
            auth:
              metrics: open
              keys:
                - { name: web, key: "${WEB_KEY}" }
                - { name: batch, key: "${BATCH_KEY}" }
                - { name: capped, key: "${CAPPED_KEY}", tiers: [fast], rpm: 1 }
            """)
        .start();
    prometheus = PrometheusProcess.start(dir, "127.0.0.1:" + gw.gateway().metricsPort());
    // Series must be scraped at zero before the traffic, or rate() would see no increase.
    prometheus.await("a first scrape of the gateway", "up{job=\"tiergate\"} == 1", r -> r.size() == 1,
        Duration.ofSeconds(20));
    traffic();
    prometheus.await("the traffic to be scraped", "sum(tiergate_requests_total)",
        r -> r.size() == 1 && r.get(0).path("value").get(1).asDouble() >= requests, Duration.ofSeconds(15));
    // The refusals come last and are not in that count: a scrape between them and the last request would
    // satisfy the wait above and leave some of them out of the Keys row.
    prometheus.await("the refusals to be scraped", "sum(tiergate_key_rejections_total)",
        r -> r.size() == 1 && r.get(0).path("value").get(1).asDouble() >= REFUSALS, Duration.ofSeconds(15));
  }

  static void traffic() {
    String longPrompt = "token ".repeat(2000);
    for (int i = 0; i < 3; i++) {
      expect(200, post(WEB, "/v1/chat/completions", chat("m", true, "Hello")));
      expect(200, post(WEB, "/v1/chat/completions", chat("m", false, "Hello")));
      expect(200, post(WEB, "/v1/chat/completions", chat("qwen-max", true, "Think first")));
      expect(200, post(BATCH, "/v1/chat/completions", chat("m", true, longPrompt)));
    }
    expect(200, post(WEB, "/v1/chat/completions", chat("qwen-max", false, "Hi")));
    expect(200, post(BATCH, "/v1/chat/completions", chat("m", false, longPrompt)));
    expect(200, post(WEB, "/v1/completions", "{\"model\":\"m\",\"prompt\":\"Once\",\"max_tokens\":8,\"stream\":true}"));
    expect(200, post(WEB, "/v1/completions", "{\"model\":\"m\",\"prompt\":\"Once\",\"max_tokens\":8}"));
    TestGateway.Reply fellBack = post(WEB, "/v1/chat/completions", chat("m", true, "Hi"), "x-tiergate-tier", "flaky");
    expect(200, fellBack);
    assertEquals("fast", fellBack.header("x-tiergate-tier"), "the flaky tier's 503 falls back to fast");
    expect(400, post(WEB, "/v1/chat/completions", "{\"model\":"));
    TestGateway.Reply swapped = post(WEB, "/v1/chat/completions", chat("m", true, "Hi"), "x-tiergate-tier", "right",
        "x-tiergate-strict", "true");
    expect(200, swapped);
    assertEquals("swap:left->right", swapped.header("x-tiergate-reason"));
    Wire.Reader live = Wire.Reader.open(gw, "/v1/chat/completions", chat("m", true, "Hi").replace("12", "400"),
        "x-tiergate-tier", "guarded", "authorization", "Bearer " + WEB);
    live.awaitText("\"content\":\"", 10_000);
    TestGateway.Reply held = post(BATCH, "/v1/chat/completions", chat("m", false, longPrompt), "x-tiergate-tier", "guarded");
    expect(200, held);
    assertTrue(held.header("x-tiergate-queued-ms") != null, "the long prompt waited for the live stream");
    live.awaitEnd();
    requests++;
    // A refusal for each reason (not counted in requests: the key counters are what must see them).
    expect(200, post(CAPPED, "/v1/chat/completions", chat("m", false, "Hi")));
    assertEquals(403, post(CAPPED, "/v1/chat/completions", chat("m", false, "Hi"), "x-tiergate-tier", "max").status());
    assertEquals(429, post(CAPPED, "/v1/chat/completions", chat("m", false, "Hi")).status());
    assertEquals(403, gw.get("/tiergate/status", "authorization", "Bearer " + CAPPED).status());
    // A key that is not configured counts under none: a label never comes from what a client sends.
    assertEquals(401, post(UNKNOWN, "/v1/chat/completions", chat("m", false, "Hi")).status());
  }

  /** The refusals {@link #traffic()} causes: a tier, a rate limit, an admin page, an unknown key. */
  static final int REFUSALS = 4;

  static TestGateway.Reply post(String key, String path, String json, String... headerPairs) {
    String[] withKey = Arrays.copyOf(headerPairs, headerPairs.length + 2);
    withKey[headerPairs.length] = "authorization";
    withKey[headerPairs.length + 1] = "Bearer " + key;
    return gw.post(path, json, withKey);
  }

  static String chat(String model, boolean stream, String text) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"max_tokens\":12,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"" + text + "\"}]}";
  }

  static void expect(int status, TestGateway.Reply r) {
    assertEquals(status, r.status(), r.body());
    requests++;
  }

  @BeforeEach
  void requirePrometheus() {
    PrometheusProcess.assumeInstalled();
  }

  @AfterAll
  static void stop() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    if (gw != null) {
      gw.close();
    }
  }

  @Test
  void everyDashboardExpressionIsValidAndHasData() throws Exception {
    DashboardQueries dash = new DashboardQueries(DASHBOARD);
    List<DashboardQueries.Query> queries = dash.queries();
    assertTrue(queries.size() >= 30, "the dashboard has its panels: " + queries.size());
    List<String> problems = new ArrayList<>();
    for (DashboardQueries.Query q : queries) {
      String problem = check(q.promql());
      if (problem != null) {
        problems.add(q.where() + ": " + problem + "\n    " + q.promql());
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " of " + queries.size() + " dashboard expressions failed:\n" + String.join("\n", problems));
    }
  }

  @Test
  void aTypoInAPanelWouldBeCaught() throws Exception {
    DashboardQueries dash = new DashboardQueries(DASHBOARD);
    String good = dash.queries().get(0).promql();
    assertEquals(null, check(good));
    String misspelt = good.replace("tiergate_", "tiergate_x");
    assertTrue(check(misspelt) != null, "a misspelt metric returns no data");
    assertTrue(check(good + " +") != null, "a syntax error is reported");
    assertTrue(check(dash.substitute("rate(tiergate_requests_total[$nosuchvar])")) != null, "an unknown variable stays");
  }

  @Test
  void tierVariableListsEveryConfiguredTier() throws Exception {
    DashboardQueries dash = new DashboardQueries(DASHBOARD);
    JsonNode tier = null;
    for (JsonNode v : dash.dashboard.path("templating").path("list")) {
      if (v.path("name").asText().equals("tier")) {
        tier = v;
      }
    }
    assertTrue(tier != null, "the dashboard has a tier variable");
    assertEquals("label_values(tiergate_tier_info, tier)", tier.path("query").path("query").asText());
    JsonNode result = prometheus.query("tiergate_tier_info").path("data").path("result");
    Set<String> tiers = new TreeSet<>();
    result.forEach(r -> tiers.add(r.path("metric").path("tier").asText()));
    assertEquals(Set.of("fast", "flaky", "max", "prefill", "left", "right", "guarded"), tiers);
  }

  @Test
  void dashboardExpressionsUseOnlyContractMetrics() throws Exception {
    String text = Files.readString(DASHBOARD);
    for (String name : new String[] {"tiergate_ttft_seconds", "tiergate_time_to_first_answer_seconds",
        "tiergate_inter_token_latency_seconds", "tiergate_decode_tokens_per_second", "tiergate_prefill_tokens_per_second",
        "tiergate_requests_total", "tiergate_inflight_requests", "tiergate_route_decisions_total",
        "tiergate_fallbacks_total", "tiergate_backend_up", "tiergate_overhead_seconds"}) {
      assertTrue(text.contains(name), "the dashboard shows " + name);
    }
  }

  /**
   * The Keys row through its own queries. A rate of zero would pass the check above (every key's
   * series exist from the start), so this asserts the traffic shows: each key's requests and
   * tokens, each refusal reason, and a key label holding the configured names and none only (the
   * unknown key a client sent counts under none, never under a name of its own).
   */
  @Test
  void keysRowShowsEachConfiguredKeyAndEveryRefusalReason() throws Exception {
    DashboardQueries dash = new DashboardQueries(DASHBOARD);
    Set<String> names = Set.of("web", "batch", "capped", "none");
    Map<String, Double> requests = panel(dash, "Requests per key [A]", "key", "outcome");
    assertEquals(names, firstWords(requests.keySet()), "key names: " + requests);
    for (String ok : new String[] {"web ok", "batch ok", "capped ok"}) {
      assertTrue(requests.getOrDefault(ok, 0.0) > 0, ok + ": " + requests);
    }
    assertTrue(requests.getOrDefault("web client_error", 0.0) > 0, "the malformed request is web's: " + requests);
    for (String refId : new String[] {"A", "B"}) {
      Map<String, Double> tokens = panel(dash, "Tokens/s per key [" + refId + "]", "key");
      assertEquals(names, tokens.keySet(), "key names: " + tokens);
      assertTrue(tokens.get("web") > 0 && tokens.get("batch") > 0, refId + ": " + tokens);
    }
    Map<String, Double> rejections = panel(dash, "Key rejections [A]", "key", "reason");
    assertEquals(names, firstWords(rejections.keySet()), "key names: " + rejections);
    for (String refused : new String[] {"none unauthorized", "capped forbidden_tier", "capped rate_limited",
        "capped permission_denied"}) {
      assertTrue(rejections.getOrDefault(refused, 0.0) > 0, refused + ": " + rejections);
    }
    assertEquals(0.0, rejections.get("web rate_limited"), "web was never refused: " + rejections);
  }

  /** One dashboard query's instant values, each named by its labels' values joined with a space. */
  static Map<String, Double> panel(DashboardQueries dash, String where, String... labels) throws Exception {
    DashboardQueries.Query q = dash.queries().stream().filter(x -> x.where().equals(where)).findFirst()
        .orElseThrow(() -> new AssertionError("the dashboard has no query " + where));
    Map<String, Double> out = new TreeMap<>();
    for (JsonNode series : prometheus.query(q.promql()).path("data").path("result")) {
      StringJoiner name = new StringJoiner(" ");
      for (String label : labels) {
        name.add(series.path("metric").path(label).asText());
      }
      out.put(name.toString(), series.path("value").get(1).asDouble());
    }
    return out;
  }

  private static Set<String> firstWords(Set<String> names) {
    Set<String> out = new TreeSet<>();
    names.forEach(n -> out.add(n.split(" ")[0]));
    return out;
  }

  /** Null when the expression is valid and returns at least one real number; otherwise what is wrong. */
  static String check(String promql) throws Exception {
    JsonNode r = prometheus.query(promql);
    if (!"success".equals(r.path("status").asText())) {
      return "invalid: " + r.path("errorType").asText() + ": " + r.path("error").asText();
    }
    JsonNode data = r.path("data");
    JsonNode result = data.path("result");
    if (data.path("resultType").asText().equals("scalar")) {
      return finite(result.get(1).asText()) ? null : "scalar is " + result.get(1).asText();
    }
    if (result.isEmpty()) {
      return "no data";
    }
    for (JsonNode series : result) {
      if (finite(series.path("value").get(1).asText())) {
        return null;
      }
    }
    return "only NaN/Inf values: " + result;
  }

  private static boolean finite(String v) {
    try {
      return Double.isFinite(Double.parseDouble(v));
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
