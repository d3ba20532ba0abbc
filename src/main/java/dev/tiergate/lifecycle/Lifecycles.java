package dev.tiergate.lifecycle;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.GroupConfig;
import dev.tiergate.config.LifecycleConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.upstream.HealthProbe;
import dev.tiergate.upstream.Secrets;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every managed tier of the gateway: exclusive groups that swap, and tiers with a lifecycle of their
 * own that are simply kept running. Thread-safe entry points; the state lives on one context.
 */
public final class Lifecycles {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.lifecycle");
  private final Vertx vertx;
  private final Context context;
  private final HttpClient client;
  private final Map<String, GroupManager> byTier = new LinkedHashMap<>();
  private final Map<String, GroupManager> byGroup = new LinkedHashMap<>();
  private final List<OwnedProcess> owned = new ArrayList<>();

  private Lifecycles(Vertx vertx, Context context, HttpClient client) {
    this.vertx = vertx;
    this.context = context;
    this.client = client;
  }

  /** Builds the managers and starts them (adopting engines already running); completes when each group is decided. */
  public static Future<Lifecycles> start(Vertx vertx, GatewayConfig config, Fleet fleet, Drainer drainer, SwapObserver observer) {
    Context context = vertx.getOrCreateContext();
    HttpClient probes = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.health().timeoutMs())), new PoolOptions().setHttp1MaxSize(16));
    Lifecycles l = new Lifecycles(vertx, context, probes);
    HealthProbe probe = new HealthProbe(probes, config.health().timeoutMs(), Secrets.of(config));
    Promise<Lifecycles> started = Promise.promise();
    // The HTTP client's first request loads a few hundred classes: let that happen on the caller's
    // thread (start-up), not on the event loop the managers run on.
    Future<?> warm = config.groups().isEmpty() && config.tiers().stream().allMatch(t -> t.lifecycle() == null)
        ? Future.succeededFuture() : probe.probe(config.tiers().get(0).backends().get(0));
    java.util.concurrent.atomic.AtomicBoolean begun = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable begin = () -> context.runOnContext(v -> {
      if (!begun.compareAndSet(false, true)) {
        return;
      }
      List<Future<Void>> all = new ArrayList<>();
      for (GroupConfig g : config.groups()) {
        all.add(l.manage(g, units(l, config, g.tiers(), fleet, probe), fleet, drainer, observer, false));
      }
      for (TierConfig t : config.tiers()) {
        if (t.lifecycle() != null && config.groupOf(t.name()).isEmpty()) {
          GroupConfig alone = new GroupConfig(t.name(), List.of(t.name()), true, t.name(), GroupConfig.Swap.MANUAL,
              0L, 0L, 1, 1L, GroupConfig.WhenNotLive.SERVE_LIVE, 0L);
          all.add(l.manage(alone, units(l, config, List.of(t.name()), fleet, probe), fleet, drainer, observer, true));
        }
      }
      Future.join(new ArrayList<>(all)).onComplete(ar -> started.tryComplete(l));
    });
    warm.onComplete(w -> begin.run());
    // The warm-up probe is a courtesy (class loading off the managers' loop), not a condition: if its answer is
    // lost or late, the groups begin anyway once a probe would have timed out.
    vertx.setTimer(2 * config.health().timeoutMs() + 1_000, id -> begin.run());
    // Every probe a group starts with has its own timeout, so this is a backstop: a gateway whose groups
    // have not reported within a few probe timeouts starts anyway (its groups finish deciding meanwhile and
    // the tiers stay unroutable until then) rather than hanging its own start.
    long bound = 4 * config.health().timeoutMs() + 2_000;
    vertx.setTimer(bound, id -> {
      if (started.tryComplete(l)) {
        LOG.log(System.Logger.Level.WARNING, "lifecycle groups had not reported their engines'' state {0} ms after start;"
            + " the gateway starts anyway and their tiers become routable once they do", String.valueOf(bound));
      }
    });
    return started.future();
  }

  private Future<Void> manage(GroupConfig g, Map<String, TierUnit> units, Fleet fleet, Drainer drainer, SwapObserver observer,
      boolean standalone) {
    GroupManager m = new GroupManager(vertx, context, g, units, fleet, drainer, observer, standalone);
    if (!standalone) {
      byGroup.put(g.name(), m);
    }
    units.keySet().forEach(t -> byTier.put(t, m));
    return m.start();
  }

  private static Map<String, TierUnit> units(Lifecycles l, GatewayConfig config, List<String> tiers, Fleet fleet,
      HealthProbe probe) {
    Map<String, TierUnit> units = new LinkedHashMap<>();
    for (String name : tiers) {
      TierConfig t = config.tier(name).orElseThrow();
      WarmEngine warm = t.lifecycle().warm() == null ? null : new WarmEngine(l.vertx, l.client, t);
      units.put(name, new TierUnit(t, l.control(t.name(), t.lifecycle()), warm, l.vertx, fleet, probe));
    }
    return units;
  }

  private EngineControl control(String tier, LifecycleConfig lc) {
    if (lc.process() != null) {
      OwnedProcess p = new OwnedProcess(vertx, context, tier, lc.process());
      owned.add(p);
      return p;
    }
    if (lc.commands() != null) {
      return new CommandPair(vertx, context, tier, lc.commands());
    }
    return new HttpControl(vertx, client, lc.http());
  }

  /** Whether the tier's engine is started and stopped by tiergate. */
  public boolean manages(String tier) {
    return byTier.containsKey(tier);
  }

  /** A request's wait for a tier to be live; {@link #cancel} when the client leaves. */
  public static final class Wait {
    private final Waiter waiter;
    private final GroupManager manager;

    private Wait(Waiter waiter, GroupManager manager) {
      this.waiter = waiter;
      this.manager = manager;
    }

    /** Completes on the lifecycle's context: hop to your own before touching a response. */
    public Future<Swapped> future() {
      return waiter.future();
    }

    public void cancel() {
      if (manager != null) {
        manager.context().runOnContext(v -> manager.cancel(waiter));
      }
    }
  }

  /** Waits (bounded by the group's maxQueue and maxWaitMs) until {@code tier} is live, starting a swap if needed. */
  public Wait await(String tier) {
    GroupManager m = byTier.get(tier);
    if (m == null) {
      Waiter w = new Waiter(tier, tier);
      w.ready(tier, tier);
      return new Wait(w, null);
    }
    Waiter w = new Waiter(tier, m.live());
    context.runOnContext(v -> m.enqueue(w));
    return new Wait(w, m);
  }

  /** Operator: swap to the tier now. Completes with the group's status once the swap has begun. */
  public Future<JsonObject> activate(String tier) {
    GroupManager m = byTier.get(tier);
    if (m == null) {
      return Future.failedFuture(GatewayError.of(Kind.NOT_FOUND, "tier '" + tier + "' is not managed by a lifecycle group"));
    }
    Promise<JsonObject> p = Promise.promise();
    context.runOnContext(v -> {
      m.activate(tier, "operator");
      p.complete(m.status());
    });
    return p.future();
  }

  /** Operator: drain and stop the group's live tier, freeing its GPUs. */
  public Future<JsonObject> stopGroup(String group) {
    GroupManager m = byGroup.get(group);
    if (m == null) {
      return Future.failedFuture(GatewayError.of(Kind.NOT_FOUND, "no group '" + group + "'"));
    }
    Promise<JsonObject> p = Promise.promise();
    context.runOnContext(v -> m.stopAll("operator").onComplete(ar -> {
      if (ar.failed()) {
        p.fail(GatewayError.of(Kind.CONFLICT, "cannot stop group '" + group + "': " + ar.cause().getMessage()));
      } else {
        p.complete(m.status());
      }
    }));
    return p.future();
  }

  /** The groups (and standalone managed tiers) as status shows them. */
  public Future<JsonArray> status() {
    Promise<JsonArray> p = Promise.promise();
    context.runOnContext(v -> {
      JsonArray out = new JsonArray();
      new LinkedHashMap<>(byTier).values().stream().distinct().forEach(m -> out.add(m.status()));
      p.complete(out);
    });
    return p.future();
  }

  /** Seconds until the tier is likely live (for Retry-After), from measured swaps. */
  public long retryAfterSeconds(String tier) {
    GroupManager m = byTier.get(tier);
    return m == null ? 1 : m.retryAfterSeconds(tier);
  }

  /**
   * Gateway shutdown: no swap starts, waiters are answered, and every engine process tiergate
   * started is stopped (SIGTERM, then SIGKILL) before this returns. Blocks: call it off the event loop.
   */
  public void shutdown() {
    Promise<Void> quiet = Promise.promise();
    context.runOnContext(v -> {
      byTier.values().stream().distinct().forEach(GroupManager::shutdown);
      quiet.complete();
    });
    try {
      quiet.future().toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // Stop the processes regardless.
    }
    owned.parallelStream().forEach(OwnedProcess::stopNow);
    client.close();
  }
}
