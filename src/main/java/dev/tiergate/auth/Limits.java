package dev.tiergate.auth;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.LimitsConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Per-key RPM, TPM and concurrency, counted locally or in a shared Redis. While Redis cannot be
 * reached the fail mode decides ({@code open}: this replica's own counts; {@code closed}: 503), the
 * change is logged once each way and reported to {@link LimitEvents}, and Redis is pinged every
 * second until it answers again; requests do not wait on a Redis known to be down.
 */
public final class Limits {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.auth");
  private static final Future<Admission> UNLIMITED = Future.succeededFuture(Admission.UNLIMITED);
  static final long PROBE_MS = 1_000;

  private final Vertx vertx;
  private final LocalLimits local = new LocalLimits(System::nanoTime);
  private final RedisLimits shared;
  private final Redis client;
  private final boolean failOpen;
  private final LimitEvents events;
  private final String where;
  private volatile boolean sharedUp = true;
  private long probe = -1;

  private Limits(Vertx vertx, LimitsConfig c, Redis client, long leaseMs, LimitEvents events) {
    this.vertx = vertx;
    this.client = client;
    this.shared = client == null ? null : new RedisLimits(vertx, client, c.prefix(), c.timeoutMs(), leaseMs);
    this.failOpen = c.failMode() == LimitsConfig.FailMode.OPEN;
    this.events = events;
    this.where = c.redis() == null ? "" : redacted(c.redis());
  }

  public static Limits create(Vertx vertx, GatewayConfig config, LimitEvents events) {
    LimitsConfig c = config.auth().limits();
    Redis client = null;
    if (c.store() == LimitsConfig.Store.REDIS) {
      client = Redis.createClient(vertx, new RedisOptions().setConnectionString(c.redis()).setMaxPoolSize(8)
          .setMaxPoolWaiting(4096).setMaxWaitingHandlers(4096));
    }
    Limits l = new Limits(vertx, c, client, leaseMs(config), events);
    if (client != null) {
      events.storeUp(true);
    }
    return l;
  }

  /**
   * No request outlives its longest total deadline plus the drain: a lease older than that belongs
   * to a replica that died, and expires.
   */
  static long leaseMs(GatewayConfig config) {
    long longest = config.timeouts().totalMs();
    for (TierConfig t : config.tiers()) {
      longest = Math.max(longest, config.timeoutsFor(t).totalMs());
    }
    return longest + config.server().drainMs() + 60_000;
  }

  /** Admits one request for {@code p} charging {@code tokens}, or says which limit refuses it. */
  public Future<Admission> acquire(Principal p, long tokens) {
    if (!p.limited()) {
      return UNLIMITED;
    }
    if (shared == null) {
      return Future.succeededFuture(local.admit(p, tokens));
    }
    if (!sharedUp) {
      return withoutShared(p, tokens);
    }
    return shared.acquire(p, tokens).recover(t -> {
      down(t);
      return withoutShared(p, tokens);
    });
  }

  /**
   * Called on each API event loop before it listens: opens that loop's Redis connection and loads
   * the script. Never fails: an unreachable Redis puts the limits in their fail mode (logged once)
   * and the start goes on.
   */
  public Future<Void> warmUp() {
    if (shared == null) {
      return Future.succeededFuture();
    }
    return shared.warmUp().recover(t -> {
      down(t);
      return Future.succeededFuture();
    });
  }

  private Future<Admission> withoutShared(Principal p, long tokens) {
    events.storeUnavailable(failOpen);
    if (failOpen) {
      return Future.succeededFuture(local.admit(p, tokens));
    }
    return Future.failedFuture(GatewayError.of(Kind.LIMITS_UNAVAILABLE, "The gateway cannot check this key's rate limits now"
        + " (the shared limit store is unreachable, and auth.limits.failMode is closed); retry shortly.").withRetryAfter(1));
  }

  private synchronized void down(Throwable cause) {
    if (!sharedUp) {
      return;
    }
    sharedUp = false;
    events.storeUp(false);
    LOG.log(System.Logger.Level.WARNING, "rate-limit store " + where + " unreachable (" + cause.getMessage() + "); "
        + (failOpen ? "failMode open: each replica counts its own limits until it is back"
            : "failMode closed: keyed requests get 503 until it is back"));
    probe = vertx.setPeriodic(PROBE_MS, id -> shared.ping().onSuccess(v -> up()));
  }

  private synchronized void up() {
    if (sharedUp) {
      return;
    }
    sharedUp = true;
    vertx.cancelTimer(probe);
    events.storeUp(true);
    LOG.log(System.Logger.Level.INFO, "rate-limit store " + where + " reachable again; limits are shared across replicas");
  }

  /** Whether the shared store is in use now (true with the local store). */
  public boolean sharedUp() {
    return sharedUp;
  }

  /** Requests of this key open in this replica's own counts (the local store, or the fallback). */
  public int localActive(Principal p) {
    return local.active(p.id());
  }

  /** After a key reload: this replica forgets the counts of keys that no longer exist. */
  public void retain(Iterable<Principal> keys) {
    Set<String> ids = java.util.stream.StreamSupport.stream(keys.spliterator(), false).map(Principal::id)
        .collect(Collectors.toSet());
    local.retain(ids);
  }

  public Future<Void> close() {
    synchronized (this) {
      if (probe >= 0) {
        vertx.cancelTimer(probe);
      }
    }
    return client == null ? Future.succeededFuture() : client.close();
  }

  /** The Redis URL without its password, for log lines. */
  static String redacted(String url) {
    return url.replaceAll("//[^@/]*@", "//***@");
  }
}
