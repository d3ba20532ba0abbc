package dev.tiergate.auth;

import io.vertx.core.Future;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Limits counted in this process. RPM and TPM are token buckets that hold a minute's worth and
 * refill continuously (a key with {@code rpm: 60} may send a burst of 60, then one a second), so
 * {@code Retry-After} is exact: the time until the bucket holds what the request needs. TPM may
 * go below zero when the engine reports more tokens than the estimate: the debt is paid by waiting.
 */
final class LocalLimits implements LimitStore {
  static final double MINUTE_NANOS = 60e9;

  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final LongSupplier nanos;

  LocalLimits(LongSupplier nanos) {
    this.nanos = nanos;
  }

  private static final class Bucket {
    boolean started;
    double requests;
    double tokens;
    long last;
    int active;
  }

  @Override
  public Future<Admission> acquire(Principal p, long tokens) {
    return Future.succeededFuture(admit(p, tokens));
  }

  Admission admit(Principal p, long cost) {
    Bucket b = buckets.computeIfAbsent(p.id(), id -> new Bucket());
    int rpm = p.rpm();
    long tpm = p.tpm();
    synchronized (b) {
      refill(b, p, nanos.getAsLong());
      Admission.Reason refused = null;
      double waitNanos = 0;
      if (rpm > 0 && b.requests < 1) {
        refused = Admission.Reason.REQUESTS;
        waitNanos = (1 - b.requests) * MINUTE_NANOS / rpm;
      } else if (tpm > 0 && cost > tpm) {
        refused = Admission.Reason.TOO_LARGE;
        waitNanos = MINUTE_NANOS;
      } else if (tpm > 0 && b.tokens < cost) {
        refused = Admission.Reason.TOKENS;
        waitNanos = (cost - b.tokens) * MINUTE_NANOS / tpm;
      } else if (p.maxConcurrent() > 0 && b.active >= p.maxConcurrent()) {
        refused = Admission.Reason.CONCURRENCY;
        waitNanos = 1e9;
      }
      if (refused == null) {
        b.requests -= rpm > 0 ? 1 : 0;
        b.tokens -= tpm > 0 ? cost : 0;
        b.active++;
      }
      return new Admission(p, refused, millis(waitNanos), rpm, rpm > 0 ? (long) Math.max(0, b.requests) : 0,
          rpm > 0 ? millis((rpm - b.requests) * MINUTE_NANOS / rpm) : 0, tpm, tpm > 0 ? (long) Math.max(0, b.tokens) : 0,
          tpm > 0 ? millis((tpm - b.tokens) * MINUTE_NANOS / tpm) : 0, cost, refused == null ? this : null, null);
    }
  }

  @Override
  public void release(Admission a, long tokenDelta) {
    Principal p = a.principal();
    Bucket b = buckets.get(p.id());
    if (b == null) {
      return;
    }
    synchronized (b) {
      b.active--;
      if (tokenDelta != 0 && p.tpm() > 0) {
        refill(b, p, nanos.getAsLong());
        b.tokens = Math.min(p.tpm(), b.tokens - tokenDelta);
      }
    }
  }

  private static void refill(Bucket b, Principal p, long now) {
    if (!b.started) {
      b.started = true;
      b.requests = p.rpm();
      b.tokens = p.tpm();
      b.last = now;
      return;
    }
    long elapsed = Math.max(0, now - b.last);
    b.last = now;
    if (p.rpm() > 0) {
      b.requests = Math.min(p.rpm(), b.requests + elapsed * p.rpm() / MINUTE_NANOS);
    }
    if (p.tpm() > 0) {
      b.tokens = Math.min(p.tpm(), b.tokens + elapsed * p.tpm() / MINUTE_NANOS);
    }
  }

  /** Requests of the key open now (tests and status). */
  int active(String id) {
    Bucket b = buckets.get(id);
    if (b == null) {
      return 0;
    }
    synchronized (b) {
      return b.active;
    }
  }

  /** Forgets keys that are no longer configured (after a reload). */
  void retain(Set<String> ids) {
    buckets.keySet().retainAll(ids);
  }

  static long millis(double nanos) {
    return nanos <= 0 ? 0 : (long) Math.ceil(nanos / 1e6);
  }
}
