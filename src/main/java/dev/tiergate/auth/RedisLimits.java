package dev.tiergate.auth;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Limits every replica shares, in Redis: one {@code EVALSHA} of {@code limits.lua} per request
 * admits it (both buckets and the concurrency lease, atomically, on Redis's clock), and one after
 * it ended gives the lease back and corrects the tokens (off the request's path). A key appears
 * in Redis only as its SHA-256. Leases expire by themselves after {@code leaseMs}, so a replica
 * that dies holding some cannot block its keys for longer than a request could last.
 */
final class RedisLimits implements LimitStore {
  static final String SCRIPT = script();
  static final String SHA = sha1(SCRIPT);
  static final long WARM_UP_MS = 3_000;

  private final Vertx vertx;
  private final Redis redis;
  private final String prefix;
  private final long timeoutMs;
  private final String leaseMs;
  private final String replica = Long.toHexString(ThreadLocalRandom.current().nextLong());
  private final AtomicLong leases = new AtomicLong();

  RedisLimits(Vertx vertx, Redis redis, String prefix, long timeoutMs, long leaseMs) {
    this.vertx = vertx;
    this.redis = redis;
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
    this.leaseMs = Long.toString(leaseMs);
  }

  @Override
  public Future<Admission> acquire(Principal p, long tokens) {
    String lease = p.maxConcurrent() > 0 ? replica + ":" + leases.incrementAndGet() : "-";
    Future<Response> sent = send("a", p, tokens, lease);
    Future<Response> answered = timed(sent);
    sent.onSuccess(r -> {
      // Redis admitted it after we stopped waiting (the request went on by the fail mode): give it back.
      if (answered.failed() && r.get(0).toInteger() == 0) {
        eval("f", p, -tokens, lease);
      }
    });
    return answered.map(r -> {
      Admission.Reason refused = Admission.Reason.of(r.get(0).toInteger());
      return new Admission(p, refused, r.get(1).toLong(), p.rpm(), r.get(2).toLong(), r.get(3).toLong(), p.tpm(),
          r.get(4).toLong(), r.get(5).toLong(), tokens, refused == null ? this : null, lease);
    });
  }

  @Override
  public void release(Admission a, long tokenDelta) {
    Principal p = a.principal();
    if (p.maxConcurrent() == 0 && (tokenDelta == 0 || p.tpm() == 0)) {
      return;
    }
    // Best effort: a lease that cannot be given back expires by itself; a lost correction is one request's estimate.
    eval("f", p, tokenDelta, a.lease());
  }

  /**
   * Opens this event loop's connection and loads the script, so the first request does not pay
   * for a connection, a protocol handshake and a NOSCRIPT round trip under its deadline.
   */
  Future<Void> warmUp() {
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(WARM_UP_MS, id -> p.tryFail(new TimeoutException("no answer from Redis within " + WARM_UP_MS
        + " ms at start")));
    redis.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(SCRIPT)).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete();
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  /** Answers when Redis does: used to notice that it is back. */
  Future<Void> ping() {
    return timed(redis.send(Request.cmd(Command.PING))).mapEmpty();
  }

  private Future<Response> eval(String mode, Principal p, long n, String lease) {
    return timed(send(mode, p, n, lease));
  }

  private Future<Response> send(String mode, Principal p, long n, String lease) {
    String tag = prefix + "{" + p.id() + "}";
    Request sha = args(Request.cmd(Command.EVALSHA).arg(SHA), tag, mode, p, n, lease);
    Future<Response> sent = redis.send(sha).recover(t -> {
      if (t.getMessage() != null && t.getMessage().startsWith("NOSCRIPT")) {
        // A Redis that restarted, or never saw the script: EVAL sends it once and caches it.
        return redis.send(args(Request.cmd(Command.EVAL).arg(SCRIPT), tag, mode, p, n, lease));
      }
      return Future.failedFuture(t);
    });
    return sent;
  }

  private Request args(Request r, String tag, String mode, Principal p, long n, String lease) {
    return r.arg(2).arg(tag + ":b").arg(tag + ":c").arg(mode).arg(p.rpm()).arg(p.tpm()).arg(p.maxConcurrent()).arg(n).arg(lease)
        .arg(leaseMs);
  }

  /** Redis that accepts connections but does not answer (paused, overloaded) must not hold requests. */
  private <T> Future<T> timed(Future<T> f) {
    Promise<T> p = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> p.tryFail(new TimeoutException("no answer from Redis within "
        + timeoutMs + " ms (auth.limits.timeoutMs)")));
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  private static String script() {
    try (InputStream in = RedisLimits.class.getResourceAsStream("limits.lua")) {
      if (in == null) {
        throw new IllegalStateException("limits.lua is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read limits.lua", e);
    }
  }

  private static String sha1(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
