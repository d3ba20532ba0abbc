package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tiergate.auth.Principal;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK sees the gateway's 401, 403 and 429 as its own typed errors, and its retry waits for Retry-After. */
class KeysSdkTest {
  static final String KEY = "sdk-key-0123456789abcdef0123";
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false);
    gw = TestGateway.builder().sim("fast-1", sim).sim("max-1", sim).env("SDK_KEY", KEY)
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: max
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
            auth:
              keys:
                - { name: sdk, key: "${SDK_KEY}", tiers: [fast], maxConcurrent: 1 }
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static OpenAIClient client(String key, int retries) {
    return OpenAIOkHttpClient.builder().baseUrl(gw.baseUrl() + "/v1").apiKey(key).maxRetries(retries).build();
  }

  static ChatCompletionCreateParams params(String model) {
    return ChatCompletionCreateParams.builder().model(model).addUserMessage("Hello").maxCompletionTokens(4).build();
  }

  static double rateLimited() {
    Counter c = gw.gateway().services().metrics().registry().find("tiergate_key_rejections").tags("key", "sdk", "reason", "rate_limited")
        .counter();
    return c.count();
  }

  /** A stream of the key's that holds its one slot for about half a second. */
  static Wire.Reader holdTheSlot() {
    Wire.Reader r = Wire.Reader.open(gw, "/v1/chat/completions",
        "{\"model\":\"m\",\"stream\":true,\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "authorization", "Bearer " + KEY, "x-sim-decode-tps", "20");
    r.awaitText("content", 5_000);
    return r;
  }

  @Test
  void aWrongKeyIsTheSdksUnauthorizedException() {
    OpenAIClient c = client("wrong-key-0123456789abcdef", 2);
    try {
      UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> c.chat().completions().create(params("m")));
      assertEquals(401, e.statusCode());
      assertEquals("invalid_api_key", e.code().orElseThrow());
    } finally {
      c.close();
    }
  }

  @Test
  void aForbiddenTierIsTheSdksPermissionDeniedException() {
    OpenAIClient c = client(KEY, 2);
    try {
      PermissionDeniedException e = assertThrows(PermissionDeniedException.class,
          () -> c.chat().completions().create(params("tiergate/max")));
      assertEquals(403, e.statusCode());
      assertEquals("tier_not_allowed", e.code().orElseThrow());
      assertTrue(e.getMessage().contains("its tiers: fast"), e.getMessage());
    } finally {
      c.close();
    }
  }

  @Test
  void aRateLimitIsTheSdksRateLimitExceptionAndItsRetryWaitsForRetryAfter() {
    Principal p = gw.gateway().services().keys().principals().get(0);
    OpenAIClient noRetry = client(KEY, 0);
    OpenAIClient retrying = client(KEY, 3);
    try {
      Wire.Reader held = holdTheSlot();
      RateLimitException e = assertThrows(RateLimitException.class, () -> noRetry.chat().completions().create(params("m")));
      assertEquals(429, e.statusCode());
      assertEquals("1", e.headers().values("retry-after").get(0));
      held.awaitEnd();
      Wire.await("the slot is back", 5_000, () -> gw.gateway().services().limits().localActive(p) == 0);

      double before = rateLimited();
      held = holdTheSlot();
      long t0 = System.nanoTime();
      ChatCompletion c = retrying.chat().completions().create(params("m"));
      long waitedMs = (System.nanoTime() - t0) / 1_000_000;
      assertFalse(c.choices().isEmpty());
      assertTrue(rateLimited() >= before + 1, "the first attempt was refused");
      // The SDK's own first backoff is at most 0.5 s; Retry-After said 1 s, and it waited for it.
      assertTrue(waitedMs >= 950, "retried after " + waitedMs + " ms");
      held.awaitEnd();
    } finally {
      noRetry.close();
      retrying.close();
    }
  }
}
