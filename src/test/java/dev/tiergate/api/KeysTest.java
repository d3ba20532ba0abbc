package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.auth.Principal;
import dev.tiergate.config.KeyConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.DeadPort;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.TestGateway.Reply;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gateway keys end to end: who gets in (and how a key may be sent), what each key may use (every
 * path by which a forbidden tier could be chosen), admin-only endpoints, OpenAI's rate-limit
 * headers, 429s, token reconciliation with the engine's usage, and concurrency slots given back on
 * every path.
 */
@ExtendWith(BlockedLoopGuard.class)
class KeysTest {
  static final String ADMIN = "admin-key-0123456789abcdef";
  static final String ALICE = "alice-key-0123456789abcdef";
  static final String BOB = "bob-key-0123456789abcdef01";
  static final String TOK = "tok-key-0123456789abcdef012";
  static final String CARL = "carl-key-0123456789abcdef01";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static final Pattern DURATION = Pattern.compile("\\d+ms|(\\d+h)?(\\d+m)?\\d+(\\.\\d+)?s");

  static TestGateway gw;
  static DeadPort dead;

  @BeforeAll
  static void start() {
    dead = DeadPort.reserve();
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(10_000_000).withDecodeTps(5000)
        .withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("fast-1", sim).sim("max-1", sim).sim("prefill-1", sim)
        .env("ADMIN_KEY", ADMIN).env("ALICE_KEY", ALICE).env("DEAD", "http://127.0.0.1:" + dead.port())
        .config("""
            health: { intervalMs: 200, failureThreshold: 1 }
            routing:
              defaultTier: fast
              aliases: { big: max }
              rules:
                - { name: long, when: { promptTokensAtLeast: 2000 }, tier: prefill }
                - { name: huge-output, when: { maxTokensAtLeast: 5000 }, tier: solo }
            tiers:
              - name: fast
                fallback: [max]
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: max
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
              - name: prefill
                fallback: [fast]
                backends: [{ name: prefill-1, url: "${SIM_PREFILL_1}", engine: vllm, model: m }]
              - name: solo
                fallback: [max]
                backends: [{ name: solo-1, url: "${DEAD}", engine: vllm, model: m, contextWindow: 32768 }]
            auth:
              keys:
                - { name: admin, key: "${ADMIN_KEY}", role: admin }
                - { name: alice, key: "${ALICE_KEY}", tiers: [fast, solo], rpm: 1000, tpm: 1000000, maxConcurrent: 2 }
                - { name: bob, sha256: "%s", tiers: [fast, max], rpm: 1000 }
                - { name: tok, key: "%s", tpm: 600 }
                - { name: carl, key: "%s", rpm: 3 }
            """.formatted(KeyConfig.hex(BOB), TOK, CARL))
        .start();
    Wire.await("the dead tier is seen down", 5_000, () -> !gw.gateway().services().fleet().routable("solo-1"));
    // Every path the tests take, once, before the blocked-loop guard watches: first use loads classes on the loops.
    String slow = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":400,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    for (int i = 0; i < 2; i++) {
      Wire.Reader r = Wire.Reader.open(gw, "/v1/chat/completions", slow, "authorization", "Bearer " + ADMIN, "x-sim-decode-tps", "50");
      r.awaitText("content", 5_000);
      r.closeConnection();
      gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + ADMIN, "x-tiergate-tier", "fast", "x-tiergate-strict", "true",
          "x-sim-fault", "error-500");
      gw.post("/v1/chat/completions", "{\"model\":1}", "authorization", "Bearer " + ADMIN);
      gw.post("/tiergate/reload-keys", "", "authorization", "Bearer " + ADMIN);
    }
    Wire.awaitNothingInFlight(gw);
    for (int i = 0; i < 3; i++) {
      gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + ADMIN);
      gw.post("/v1/chat/completions", CHAT.replace("true", "x").replace("4,", "4,\"stream\":true,"), "authorization",
          "Bearer " + ADMIN);
      gw.post("/v1/chat/completions", CHAT);
      gw.get("/tiergate/status");
    }
  }

  @AfterAll
  static void stop() {
    gw.close();
    dead.close();
  }

  static Reply chat(String key) {
    return gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key);
  }

  static JsonObject error(Reply r) {
    return new JsonObject(r.body()).getJsonObject("error");
  }

  static void assertUnauthorized(Reply r, String messagePart) {
    assertEquals(401, r.status(), r.body());
    assertEquals("invalid_api_key", error(r).getString("code"));
    assertEquals("invalid_request_error", error(r).getString("type"));
    assertTrue(error(r).getString("message").contains(messagePart), error(r).getString("message"));
    assertNull(r.header("x-ratelimit-limit-requests"));
  }

  static Principal principal(String name) {
    return gw.gateway().services().keys().principals().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  static double counter(String name, String... tags) {
    Counter c = gw.gateway().services().metrics().registry().find(name).tags(tags).counter();
    return c == null ? -1 : c.count();
  }

  @Test
  void noKeyOrABadHeaderIs401AndNoEngineSeesIt() {
    int before = gw.sim("fast-1").stats().requests();
    double unauthorized = counter("tiergate_key_rejections", "key", "none", "reason", "unauthorized");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT), "didn't provide an API key");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT, "authorization", ""), "empty");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT, "authorization", ALICE), "no scheme");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer"), "Malformed");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer "), "Malformed");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + ALICE + " extra"), "Malformed");
    Reply basic = gw.post("/v1/chat/completions", CHAT, "authorization", "Basic " + ALICE);
    assertUnauthorized(basic, "scheme 'Basic' is not accepted");
    assertTrue(!basic.body().contains(ALICE), "the credentials are never echoed");
    assertEquals("Bearer", basic.header("www-authenticate"));
    assertUnauthorized(chat(ALICE + "x"), "Incorrect API key");
    assertUnauthorized(gw.post("/v1/chat/completions", CHAT, "x-api-key", "  "), "empty");
    assertEquals(before, gw.sim("fast-1").stats().requests());
    assertEquals(unauthorized + 9, counter("tiergate_key_rejections", "key", "none", "reason", "unauthorized"));
  }

  @Test
  void bearerAnyCaseAndXApiKeyAreAccepted() {
    assertEquals(200, chat(ALICE).status());
    assertEquals(200, gw.post("/v1/chat/completions", CHAT, "authorization", "bearer " + ALICE).status());
    assertEquals(200, gw.post("/v1/chat/completions", CHAT, "x-api-key", ALICE).status());
    assertEquals(200, chat(BOB).status(), "a key given by its sha256 works the same");
  }

  @Test
  void anthropicClientsSendXApiKeyAndSeeTheirOwnEnvelope() {
    String messages = "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    Reply none = gw.post("/v1/messages", messages, "anthropic-version", "2023-06-01");
    assertEquals(401, none.status(), none.body());
    JsonObject body = new JsonObject(none.body());
    assertEquals("error", body.getString("type"));
    assertEquals("authentication_error", body.getJsonObject("error").getString("type"));
    Reply keyed = gw.post("/v1/messages", messages, "anthropic-version", "2023-06-01", "x-api-key", ALICE);
    assertEquals(200, keyed.status(), keyed.body());
    assertEquals("1000", keyed.header("x-ratelimit-limit-requests"));
  }

  @Test
  void aKeyInTheQueryStringIsNotAccepted() {
    assertUnauthorized(gw.post("/v1/chat/completions?api_key=" + ALICE, CHAT), "in the URL is not accepted");
    assertUnauthorized(gw.post("/v1/chat/completions?key=" + ALICE, CHAT), "in the URL is not accepted");
  }

  @Test
  void aTierAskedForByHeaderOrAliasIs403NamingTheKeysTiers() {
    int max = gw.sim("max-1").stats().requests();
    double forbidden = counter("tiergate_key_rejections", "key", "alice", "reason", "forbidden_tier");
    Reply header = gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + ALICE, "x-tiergate-tier", "max");
    assertEquals(403, header.status(), header.body());
    assertEquals("tier_not_allowed", error(header).getString("code"));
    assertEquals("x-tiergate-tier", error(header).getString("param"));
    assertTrue(error(header).getString("message").contains("its tiers: fast, solo"), header.body());
    for (String model : new String[] {"big", "tiergate/max"}) {
      Reply alias = gw.post("/v1/chat/completions", CHAT.replace("\"m\"", "\"" + model + "\""), "authorization", "Bearer " + ALICE);
      assertEquals(403, alias.status(), alias.body());
      assertEquals("model", error(alias).getString("param"));
    }
    assertEquals(max, gw.sim("max-1").stats().requests(), "no forbidden request reached the tier");
    assertEquals(forbidden + 3, counter("tiergate_key_rejections", "key", "alice", "reason", "forbidden_tier"));
    assertEquals(200, gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + BOB, "x-tiergate-tier", "max").status());
  }

  @Test
  void aTierARuleChoseIsNotACandidateForAKeyThatMayNotUseIt() {
    String longChat = CHAT.replace("\"hi\"", "\"" + "word ".repeat(2500) + "\"");
    int prefill = gw.sim("prefill-1").stats().requests();
    Reply r = gw.post("/v1/chat/completions", longChat, "authorization", "Bearer " + ALICE);
    assertEquals(200, r.status(), r.body());
    assertEquals("fast", r.header("x-tiergate-tier"));
    assertEquals("fallback:prefill-forbidden", r.header("x-tiergate-reason"));
    assertEquals(prefill, gw.sim("prefill-1").stats().requests());
    Reply admin = gw.post("/v1/chat/completions", longChat, "authorization", "Bearer " + ADMIN);
    assertEquals("prefill", admin.header("x-tiergate-tier"), "the same request with a key that may use it");
  }

  @Test
  void aFallbackTierTheKeyMayNotUseIsNeverTried() {
    String huge = CHAT.replace("\"max_tokens\":4", "\"max_tokens\":6000");
    int max = gw.sim("max-1").stats().requests();
    Reply r = gw.post("/v1/chat/completions", huge, "authorization", "Bearer " + ALICE);
    assertEquals(503, r.status(), r.body());
    assertEquals("no_backend_available", error(r).getString("code"));
    assertEquals(max, gw.sim("max-1").stats().requests(), "max is solo's fallback, but not alice's");
    Reply admin = gw.post("/v1/chat/completions", huge.replace("6000", "5000"), "authorization", "Bearer " + ADMIN);
    assertEquals(200, admin.status(), admin.body());
    assertEquals("max", admin.header("x-tiergate-tier"));
    assertEquals("fallback:solo-down", admin.header("x-tiergate-reason"));
  }

  @Test
  void keyedResponsesCarryOpenAisRateLimitHeadersAndTheFourthRequestIs429() {
    Reply first = chat(CARL);
    assertEquals(200, first.status());
    assertEquals("3", first.header("x-ratelimit-limit-requests"));
    int remaining = Integer.parseInt(first.header("x-ratelimit-remaining-requests"));
    assertTrue(remaining <= 2, "one of three used: " + remaining);
    assertTrue(DURATION.matcher(first.header("x-ratelimit-reset-requests")).matches(), first.header("x-ratelimit-reset-requests"));
    assertNull(first.header("x-ratelimit-limit-tokens"), "carl has no token limit");
    Reply r = first;
    for (int i = 0; i < 4 && r.status() == 200; i++) {
      r = chat(CARL);
    }
    assertEquals(429, r.status(), r.body());
    assertEquals("rate_limit_exceeded", error(r).getString("code"));
    assertEquals("rate_limit_error", error(r).getString("type"));
    assertTrue(error(r).getString("message").contains("requests per minute (rpm): Limit 3"), r.body());
    long retryAfter = Long.parseLong(r.header("retry-after"));
    assertTrue(retryAfter >= 1 && retryAfter <= 20, "one request comes back every 20 s: " + retryAfter);
    assertEquals("0", r.header("x-ratelimit-remaining-requests"));
    assertTrue(counter("tiergate_key_rejections", "key", "carl", "reason", "rate_limited") >= 1);

    Reply alice = chat(ALICE);
    assertEquals("1000000", alice.header("x-ratelimit-limit-tokens"));
    assertTrue(Long.parseLong(alice.header("x-ratelimit-remaining-tokens")) < 1_000_000);
    assertTrue(DURATION.matcher(alice.header("x-ratelimit-reset-tokens")).matches(), alice.header("x-ratelimit-reset-tokens"));
  }

  @Test
  void tokensAreReconciledWithTheEnginesUsageForStreamsAndWholeAnswers() {
    // tok: 600 tokens per minute (10 a second come back). Each request's estimate is a few tokens;
    // the engine reports them plus 200 completion tokens, which must be charged too.
    String body = "{\"model\":\"m\",\"max_tokens\":200,%s\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    Reply whole = gw.post("/v1/chat/completions", body.formatted(""), "authorization", "Bearer " + TOK);
    assertEquals(200, whole.status(), whole.body());
    Reply after = gw.post("/v1/chat/completions", body.formatted("\"max_tokens\":1,".substring(0, 0)), "authorization",
        "Bearer " + TOK);
    long left = Long.parseLong(after.header("x-ratelimit-remaining-tokens"));
    assertTrue(left < 450, "the first answer's 200 completion tokens were charged: " + left + " left of 600");
    Reply stream = gw.post("/v1/chat/completions", body.formatted("\"stream\":true,"), "authorization", "Bearer " + TOK);
    assertEquals(200, stream.status());
    assertTrue(Wire.hasDone(stream.body()));
    Reply last = gw.post("/v1/chat/completions", body.formatted(""), "authorization", "Bearer " + TOK);
    assertEquals(429, last.status(), "600 tokens: three answers of 200 cannot all fit within seconds; " + last.body());
    assertTrue(error(last).getString("message").contains("tokens per minute (tpm)"), last.body());
    assertTrue(counter("tiergate_key_tokens", "key", "tok", "type", "completion") >= 600);
  }

  @Test
  void concurrencySlotsComeBackOnSuccessErrorAndClientGone() throws Exception {
    Principal alice = principal("alice");
    assertEquals(200, chat(ALICE).status());
    Reply failed = gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + ALICE, "x-tiergate-tier", "fast",
        "x-tiergate-strict", "true", "x-sim-fault", "error-500");
    assertEquals(502, failed.status(), failed.body());
    Reply rejected = gw.post("/v1/chat/completions", "{\"model\":1}", "authorization", "Bearer " + ALICE);
    assertEquals(400, rejected.status());
    Wire.await("alice holds no slot", 5_000, () -> gw.gateway().services().limits().localActive(alice) == 0);

    String slow = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":400,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    Wire.Reader one = Wire.Reader.open(gw, "/v1/chat/completions", slow, "authorization", "Bearer " + ALICE, "x-sim-decode-tps", "20");
    Wire.Reader two = Wire.Reader.open(gw, "/v1/chat/completions", slow, "authorization", "Bearer " + ALICE, "x-sim-decode-tps", "20");
    one.awaitText("content", 5_000);
    two.awaitText("content", 5_000);
    assertEquals(2, gw.gateway().services().limits().localActive(alice));
    Reply third = chat(ALICE);
    assertEquals(429, third.status(), third.body());
    assertTrue(error(third).getString("message").contains("maxConcurrent"), third.body());
    assertEquals("1", third.header("retry-after"));
    one.closeConnection();
    two.closeConnection();
    Wire.await("both slots back after the clients left", 5_000, () -> gw.gateway().services().limits().localActive(alice) == 0);
    assertEquals(200, chat(ALICE).status());
    Wire.await("alice holds no slot", 5_000, () -> gw.gateway().services().limits().localActive(alice) == 0);
  }

  @Test
  void operatorEndpointsNeedAnAdminKeyAndHealthAndReadyStayOpen() {
    assertEquals(200, gw.get("/health").status());
    assertEquals(200, gw.get("/ready").status());
    Reply status = gw.get("/tiergate/status");
    assertEquals(401, status.status());
    assertEquals("invalid_api_key", error(status).getString("code"));
    assertTrue(!status.body().contains("127.0.0.1"), "no backend URL without a key");
    assertEquals(401, gw.get("/metrics").status());
    assertEquals(401, gw.get("/v1/models").status(), "the model list needs a key too");
    Reply models = TestGateway.await(gw.onLoop(() -> gw.client().request(io.vertx.core.http.HttpMethod.GET, gw.port(), "127.0.0.1",
        "/v1/models").compose(req -> req.putHeader("authorization", "Bearer " + ALICE).send()
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString()))))));
    assertEquals(200, models.status(), "any valid key lists the models");
    for (String path : new String[] {"/tiergate/status", "/metrics"}) {
      Reply user = TestGateway.await(gw.onLoop(() -> gw.client().request(io.vertx.core.http.HttpMethod.GET, gw.port(), "127.0.0.1", path)
          .compose(req -> req.putHeader("authorization", "Bearer " + ALICE).send()
          .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString()))))));
      assertEquals(403, user.status(), path);
      assertEquals("permission_denied", error(user).getString("code"));
      Reply admin = TestGateway.await(gw.onLoop(() -> gw.client().request(io.vertx.core.http.HttpMethod.GET, gw.port(), "127.0.0.1", path)
          .compose(req -> req.putHeader("authorization", "Bearer " + ADMIN).send()
          .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString()))))));
      assertEquals(200, admin.status(), path);
      if (path.equals("/tiergate/status")) {
        JsonObject auth = new JsonObject(admin.body()).getJsonObject("auth");
        assertEquals(5, auth.getInteger("keys"));
        assertEquals("local", auth.getString("limitStore"));
      }
      assertTrue(!admin.body().contains(ADMIN) && !admin.body().contains(ALICE) && !admin.body().contains(KeyConfig.hex(ALICE)),
          "no key or key hash in " + path);
    }
    assertEquals(401, gw.post("/tiergate/tiers/fast/activate", "{}").status());
    assertEquals(403, gw.post("/tiergate/tiers/fast/activate", "{}", "authorization", "Bearer " + ALICE).status());
    Reply activate = gw.post("/tiergate/tiers/fast/activate", "{}", "authorization", "Bearer " + ADMIN);
    assertEquals(404, activate.status(), "an admin reaches the lifecycle, which manages no tier here: " + activate.body());
    assertTrue(error(activate).getString("message").contains("not managed by a lifecycle group"), activate.body());
    assertEquals(403, gw.post("/tiergate/reload-keys", "", "authorization", "Bearer " + BOB).status());
    Reply reload = gw.post("/tiergate/reload-keys", "", "authorization", "Bearer " + ADMIN);
    assertEquals(422, reload.status());
    assertTrue(reload.body().contains("no auth.keysFile"), reload.body());
  }

  @Test
  void perKeyMetricsUseTheKeysNameOnly() {
    assertEquals(200, chat(ALICE).status());
    String scrape = ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) gw.gateway().services().metrics().registry()).scrape();
    assertTrue(scrape.contains("tiergate_key_requests_total{key=\"alice\",outcome=\"ok\"}"), "per-key requests");
    assertTrue(scrape.contains("tiergate_key_tokens_total{key=\"alice\",type=\"prompt\"}"));
    assertTrue(scrape.contains("tiergate_key_rejections_total{key=\"none\",reason=\"unauthorized\"}"));
    for (String secret : new String[] {ADMIN, ALICE, BOB, TOK, CARL, KeyConfig.hex(ALICE), KeyConfig.hex(BOB)}) {
      assertTrue(!scrape.contains(secret), "no key or digest in the metrics");
    }
  }
}
