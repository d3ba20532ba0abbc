package dev.tiergate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tiergate.config.KeyConfig;
import dev.tiergate.errors.GatewayError;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The local token buckets on a fake clock, key lookup, and how keys must be presented. */
class LocalLimitsTest {
  static final String KEY = "unit-key-0123456789abcdef";
  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final LocalLimits limits = new LocalLimits(now::get);

  static Principal principal(Integer rpm, Long tpm, Integer conc) {
    return new KeyRing(List.of(KeyConfig.of("u", KEY, null, null, null, rpm, tpm, conc))).all().get(0);
  }

  void advanceMs(long ms) {
    now.addAndGet(ms * 1_000_000L);
  }

  @Test
  void rpmIsABurstOfAMinuteThenRefillsSteadily() {
    Principal p = principal(60, null, null);
    for (int i = 0; i < 60; i++) {
      assertNull(limits.admit(p, 0).refused(), "request " + i);
    }
    Admission refused = limits.admit(p, 0);
    assertEquals(Admission.Reason.REQUESTS, refused.refused());
    assertEquals(1000, refused.retryAfterMs(), "one request a second comes back");
    assertEquals(0, refused.remainingRequests());
    assertEquals(60_000, refused.resetRequestsMs());
    advanceMs(1000);
    Admission a = limits.admit(p, 0);
    assertNull(a.refused());
    assertEquals(60, a.limitRequests());
  }

  @Test
  void tpmChargesTheEstimateAndTheFinishCorrectsIt() {
    Principal p = principal(null, 1000L, null);
    Admission a = limits.admit(p, 100);
    assertEquals(900, a.remainingTokens());
    a.finish(700);
    a.finish(5000);
    Admission b = limits.admit(p, 100);
    assertEquals(200, b.remainingTokens(), "charged 700 in all for the first, once");
    b.finish(-1);
    Admission c = limits.admit(p, 300);
    assertEquals(Admission.Reason.TOKENS, c.refused());
    assertEquals(6000, c.retryAfterMs(), "100 more tokens at 1000 a minute");
    assertEquals(Admission.Reason.TOO_LARGE, limits.admit(p, 1001).refused());
    Admission refund = limits.admit(p, 200);
    refund.finish(0);
    assertEquals(200, limits.admit(p, 0).remainingTokens(), "a request no engine saw costs no tokens");
  }

  @Test
  void concurrencySlotsAreHeldUntilFinishedOnce() {
    Principal p = principal(null, null, 2);
    Admission a = limits.admit(p, 0);
    Admission b = limits.admit(p, 0);
    assertEquals(Admission.Reason.CONCURRENCY, limits.admit(p, 0).refused());
    a.finish(-1);
    a.finish(-1);
    assertEquals(1, limits.active(p.id()));
    assertNull(limits.admit(p, 0).refused());
    assertEquals(Admission.Reason.CONCURRENCY, limits.admit(p, 0).refused(), "a second finish gave nothing back");
    b.finish(-1);
    assertEquals(1, limits.active(p.id()));
  }

  @Test
  void keysAreFoundByDigestAndPresentedOnlyInHeaders() {
    KeyRing ring = new KeyRing(List.of(KeyConfig.of("u", KEY, null, null, null, null, null, null)));
    assertSame(ring.all().get(0), ring.find(KeyConfig.digest(KEY)));
    assertNull(ring.find(KeyConfig.digest(KEY + "x")));
    assertEquals(KEY, Credentials.key("Bearer " + KEY, null, null));
    assertEquals(KEY, Credentials.key("  BEARER   " + KEY + " ", null, null));
    assertEquals(KEY, Credentials.key(null, KEY, null));
    assertEquals(KEY, Credentials.key("Bearer " + KEY, "other-key-entirely-0123456", null), "Authorization wins");
    assertThrows(GatewayError.class, () -> Credentials.key(null, null, "api_key=" + KEY));
    assertThrows(GatewayError.class, () -> Credentials.key("Token " + KEY, null, null));
  }
}
