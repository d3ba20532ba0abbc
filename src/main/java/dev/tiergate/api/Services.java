package dev.tiergate.api;

import dev.tiergate.admission.Admissions;
import dev.tiergate.auth.Keys;
import dev.tiergate.auth.Limits;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.lifecycle.Lifecycles;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.routing.TierRouter;
import dev.tiergate.stream.BufferBudget;
import dev.tiergate.upstream.Secrets;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The process-wide pieces every API verticle instance shares. What a reload may change lives in the
 * {@link Generation} in force; {@link #config()}, {@link #router()}, {@link #fleet()} and
 * {@link #admissions()} read the current one (a request takes its generation once and keeps it).
 * The server, metrics and auth sections never change while the gateway runs, so every generation's
 * config has the same ones.
 */
public final class Services {
  private final AtomicReference<Generation> generation;
  private final GatewayMetrics metrics;
  private final Shutdown shutdown;
  /** Bytes of request and response bodies held in memory, across all event loops. */
  private final BufferBudget budget;
  /** Client connections open, across all event loops. */
  private final AtomicInteger openConnections = new AtomicInteger();
  private final Secrets secrets;
  private final Lifecycles lifecycles;
  private final Keys keys;
  private final Limits limits;
  /** Each API verticle's upstream clients, told when a removed backend's last request ended. */
  private final List<Function<BackendConfig, Future<Void>>> retirees = new CopyOnWriteArrayList<>();
  private volatile ConfigReload reload = trigger -> Future.failedFuture(GatewayError.of(Kind.CONFLICT,
      "this gateway was not started from a config file (tiergate serve --config FILE, or demo --config FILE"
          + " with a copy of config/demo.yaml), so there is nothing to reload"));

  public Services(Generation first, GatewayMetrics metrics, Shutdown shutdown, Lifecycles lifecycles, Keys keys, Limits limits) {
    this.generation = new AtomicReference<>(first);
    this.metrics = metrics;
    this.shutdown = shutdown;
    this.budget = new BufferBudget(first.config().server().maxBufferedBytes());
    this.secrets = Secrets.of(first.config());
    this.lifecycles = lifecycles;
    this.keys = keys;
    this.limits = limits;
  }

  /** The config generation in force now. */
  public Generation generation() {
    return generation.get();
  }

  /** Puts a reloaded generation in force; requests that already took the old one keep it. */
  public void install(Generation next) {
    secrets.remember(next.config());
    generation.set(next);
  }

  public GatewayConfig config() {
    return generation.get().config();
  }

  public TierRouter router() {
    return generation.get().router();
  }

  public Fleet fleet() {
    return generation.get().fleet();
  }

  /** The admission queues (none when no tier has admission control). */
  public Admissions admissions() {
    return generation.get().admissions();
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  public Shutdown shutdown() {
    return shutdown;
  }

  public BufferBudget budget() {
    return budget;
  }

  public AtomicInteger openConnections() {
    return openConnections;
  }

  public Secrets secrets() {
    return secrets;
  }

  /** The managed tiers and their swaps (empty when no tier has a lifecycle). */
  public Lifecycles lifecycles() {
    return lifecycles;
  }

  /** The gateway keys (not {@link Keys#enabled()} when the gateway is open). */
  public Keys keys() {
    return keys;
  }

  /** Per-key RPM, TPM and concurrency. */
  public Limits limits() {
    return limits;
  }

  public ConfigReload reload() {
    return reload;
  }

  public void reload(ConfigReload r) {
    this.reload = r;
  }

  /** An API verticle's hook to close a backend's pooled connections (on its own event loop). */
  void onRetire(Function<BackendConfig, Future<Void>> hook) {
    retirees.add(hook);
  }

  /** A removed or replaced backend's last request ended: every verticle closes its client for it. */
  public Future<Void> retire(BackendConfig backend) {
    return Future.join(retirees.stream().map(h -> h.apply(backend)).toList()).mapEmpty();
  }

  /**
   * Re-reads the keys file (blocking: off the event loop). On success the limits forget removed
   * keys and the metrics get the new names; on failure the keys in force stay.
   */
  public Keys.Reload reloadKeys() {
    Keys.Reload r = keys.reload();
    if (r.reloaded()) {
      keysChanged();
    }
    return r;
  }

  /** New keys are in force (a keys reload, or a config reload that brought the keys file along). */
  public void keysChanged() {
    limits.retain(keys.principals());
    metrics.registerKeys(keys.principals().stream().map(dev.tiergate.auth.Principal::name).toList());
  }
}
