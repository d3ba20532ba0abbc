package dev.tiergate.metrics;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * Meters of the gateway. Labels only ever carry configured names (tier, backend, engine, scheme,
 * rule names inside {@code reason}) or fixed words (endpoint, outcome), so a client cannot grow
 * the series count: a tier, backend or reason outside the configuration is recorded as
 * {@code none} / {@code other}.
 */
public final class GatewayMetrics implements AutoCloseable {
  static final String NONE = "none";
  static final String OTHER = "other";

  private final MeterRegistry registry;
  private volatile GatewayConfig config;
  /** By backend name; a reload adds entries, and removes those of backends that drained. */
  private final Map<String, BackendMeters> backends = new ConcurrentHashMap<>();
  private final RequestCounters unrouted;
  private volatile RoutingCounters routing;
  private final LimitMeters limits;
  private final SwapMeters swaps;
  private final KeyMeters keys;
  private final java.util.concurrent.atomic.AtomicInteger limitStoreUp = new java.util.concurrent.atomic.AtomicInteger(-1);
  private volatile TierMeters perTier;
  /** The native info metric of tiers and the (tier, scheme) pairs it holds. */
  private Info info;
  private final Set<List<String>> infoLabels = ConcurrentHashMap.newKeySet();
  private final Map<String, Counter> reloads = new ConcurrentHashMap<>();
  private ToIntFunction<String> queueLength = b -> 0;
  private final List<Consumer<Sample>> observers = new CopyOnWriteArrayList<>();
  private final BackendGauges gauges;
  private ProcessMeters process;

  public GatewayMetrics(MeterRegistry registry, GatewayConfig config) {
    this(registry, config, BackendGauges.NONE);
  }

  public GatewayMetrics(MeterRegistry registry, GatewayConfig config, BackendGauges gauges) {
    this.registry = registry;
    this.config = config;
    this.gauges = gauges;
    this.unrouted = new RequestCounters(registry, NONE, NONE);
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        backends.put(b.name(), new BackendMeters(registry, t.name(), b.name(), reportsTimings(b.engine())));
        backendGauges(t.name(), b, gauges);
      }
    }
    tierInfo(config.tiers());
    for (String result : new String[] {"ok", "rejected"}) {
      reloads.put(result, Counter.builder("tiergate_config_reloads").description(
          "Config reloads (SIGHUP or POST /tiergate/reload): put in force (ok), or refused with nothing changed (rejected)")
          .tags("result", result).register(registry));
    }
    routing = new RoutingCounters(registry, config);
    limits = new LimitMeters(registry);
    swaps = new SwapMeters(registry, config);
    keys = new KeyMeters(registry);
    if (config.auth().enabled()) {
      keys.register(NONE);
      config.auth().keys().forEach(k -> keys.register(k.name()));
    }
    perTier = new TierMeters(registry, config);
  }

  /** Zero series for keys known at start or after a reload, so dashboards show them before their first request. */
  public void registerKeys(Iterable<String> names) {
    names.forEach(keys::register);
  }

  /** A request refused for its key ({@code none} when it had no usable key). */
  public void keyRejected(String key, KeyRejection reason) {
    keys.rejected(key == null ? NONE : key, reason);
  }

  void keyRequest(String key, Outcome outcome, long prompt, long completion) {
    keys.request(key, outcome, prompt, completion);
  }

  /** {@code tiergate_limit_store_up}: 1 while the shared limit store answers, 0 while it does not. */
  public void limitStoreUp(boolean up) {
    if (limitStoreUp.getAndSet(up ? 1 : 0) < 0) {
      io.micrometer.core.instrument.Gauge.builder("tiergate_limit_store_up", limitStoreUp, java.util.concurrent.atomic.AtomicInteger::get)
          .description("1 while the shared rate-limit store (Redis) answers, 0 while the fail mode applies")
          .register(registry);
      for (String mode : new String[] {"open", "closed"}) {
        io.micrometer.core.instrument.Counter.builder("tiergate_limit_store_unavailable").description(
            "Keyed requests decided while the shared limit store was unreachable: by this replica's counts (open) or refused (closed)")
            .tags("mode", mode).register(registry);
      }
    }
  }

  public void limitStoreUnavailable(boolean failOpen) {
    registry.counter("tiergate_limit_store_unavailable", "mode", failOpen ? "open" : "closed").increment();
  }

  /** Every finished request's measurements, for whoever learns from them (the fleet's rates). */
  public void onSample(Consumer<Sample> observer) {
    observers.add(observer);
  }

  /** A request waited this long for admission to a backend of {@code tier}. */
  public void queueWaited(String tier, boolean batch, long nanos) {
    perTier.waited(tier, batch, nanos);
  }

  /** Gauges of each backend's admission queue (and of those a reload adds). */
  public synchronized void bindQueueLengths(Iterable<String> backends, ToIntFunction<String> length) {
    this.queueLength = length;
    perTier.queueLengths(backends, length);
  }

  /**
   * A reload put {@code next} in force: series for its new tiers, backends, rules and objectives
   * exist from now on (at zero). The series of what it removed stay until {@link #forget} (a
   * removed backend's streams may still be running).
   */
  public synchronized void reconfigure(GatewayConfig next, Iterable<String> queuedBackends) {
    for (TierConfig t : next.tiers()) {
      for (BackendConfig b : t.backends()) {
        // Registering again returns the meters already there: counts carry over for a kept backend.
        backends.put(b.name(), new BackendMeters(registry, t.name(), b.name(), reportsTimings(b.engine())));
        backendGauges(t.name(), b, gauges);
      }
    }
    routing = new RoutingCounters(registry, next);
    TierMeters tiers = new TierMeters(registry, next);
    tiers.queueLengths(queuedBackends, queueLength);
    perTier = tiers;
    tierInfo(next.tiers());
    config = next;
  }

  /**
   * Removes the series of tiers, backends and rules the config in force no longer has, except those
   * of backends still draining ({@code draining}: backend name to its tier).
   */
  public synchronized void forget(Map<String, String> draining) {
    GatewayConfig c = config;
    Map<String, String> tierOf = new HashMap<>(draining);
    Map<String, String> engineOf = new HashMap<>();
    Set<String> tiers = new HashSet<>(draining.values());
    for (TierConfig t : c.tiers()) {
      tiers.add(t.name());
      for (BackendConfig b : t.backends()) {
        tierOf.put(b.name(), t.name());
        engineOf.put(b.name(), b.engine() == null ? NONE : b.engine().id());
      }
    }
    tiers.add(NONE);
    RoutingCounters r = routing;
    Set<String> withSlo = new HashSet<>();
    Set<String> queued = new HashSet<>(draining.keySet());
    for (TierConfig t : c.tiers()) {
      if (t.slo() != null) {
        withSlo.add(t.name());
      }
      if (t.admission() != null) {
        t.backends().forEach(b -> queued.add(b.name()));
      }
    }
    for (Meter m : List.copyOf(registry.getMeters())) {
      Meter.Id id = m.getId();
      boolean dropped = "tiergate_slo_requests".equals(id.getName()) && !withSlo.contains(id.getTag("tier"))
          || "tiergate_queue_length".equals(id.getName()) && !queued.contains(id.getTag("backend"));
      if (dropped || stale(id, tierOf, engineOf, tiers, r)) {
        registry.remove(m);
      }
    }
    backends.keySet().removeIf(b -> !tierOf.containsKey(b));
    Set<List<String>> current = new HashSet<>();
    c.tiers().forEach(t -> current.add(List.of(t.name(), scheme(t))));
    for (List<String> labels : List.copyOf(infoLabels)) {
      boolean drainingOnly = draining.containsValue(labels.get(0)) && c.tier(labels.get(0)).isEmpty();
      if (!current.contains(labels) && !drainingOnly) {
        info.remove(labels.get(0), labels.get(1));
        infoLabels.remove(labels);
      }
    }
  }

  private static boolean stale(Meter.Id id, Map<String, String> tierOf, Map<String, String> engineOf, Set<String> tiers,
      RoutingCounters routing) {
    String backend = id.getTag("backend");
    String tier = id.getTag("tier");
    if (backend != null && !NONE.equals(backend)) {
      String engine = id.getTag("engine");
      return !tierOf.containsKey(backend) || tier != null && !tier.equals(tierOf.get(backend))
          || engine != null && engineOf.containsKey(backend) && !engine.equals(engineOf.get(backend));
    }
    for (String key : new String[] {"tier", "from_tier", "to_tier"}) {
      String t = id.getTag(key);
      if (t != null && !tiers.contains(t)) {
        return true;
      }
    }
    return "tiergate_route_decisions".equals(id.getName()) && !routing.produces(id.getTag("reason"));
  }

  /** One reload attempt: put in force, or refused with nothing changed. */
  public void reloaded(boolean ok) {
    reloads.get(ok ? "ok" : "rejected").increment();
  }

  /** A swap ended ({@code to} null for a stop); phases are named drain, stop, boot (sleep, wake, canary for warm swaps). */
  public void swapped(String group, String from, String to, String outcome, String mode, Map<String, Long> phaseNanos) {
    swaps.swapped(group, from, to, outcome, mode, phaseNanos);
  }

  public void warmFallback(String tier, String reason) {
    swaps.warmFallback(tier, reason);
  }

  public void swapWaited(String tier, long nanos) {
    swaps.waited(tier, nanos);
  }

  public void swapQueueLength(String group, int length) {
    swaps.queueLength(group, length);
  }

  public void tierLive(String tier, boolean live) {
    swaps.tierLive(tier, live);
  }

  /** A protective limit refused or cut a request or connection. */
  public void limitHit(Limit limit) {
    limits.hit(limit);
  }

  /** An unexpected exception reached a client as a 500 (it was logged where it was caught). */
  public void internalError() {
    limits.internalErrors.increment();
  }

  /** Gauges of what the limits measure; the API layer owns the numbers. */
  public void bindLimitGauges(LongSupplier openConnections, LongSupplier bufferedBytes) {
    LimitMeters.gauge(registry, "tiergate_open_connections", "Client connections open now", openConnections);
    LimitMeters.gauge(registry, "tiergate_buffered_bytes", "Bytes of request and response bodies held in memory now",
        bufferedBytes);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public GatewayConfig config() {
    return config;
  }

  /** Adds JVM and process meters (memory, GC, threads, CPU, uptime, file descriptors); undone by {@link #close()}. */
  public synchronized GatewayMetrics bindProcessMetrics() {
    if (process == null) {
      process = new ProcessMeters(registry);
    }
    return this;
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.close();
      process = null;
    }
  }

  /** Starts the record of one request the gateway has fully received. */
  public RequestRecorder begin(String endpoint, long receivedNanos) {
    return new RequestRecorder(this, endpoint, receivedNanos);
  }

  /** One routed request: the tier policy chose and why ({@code rule:<name>}, {@code hint:header}, …). */
  public void decision(String tier, String reason) {
    routing.decision(tier, reason);
  }

  /** A request the policy sent to {@code fromTier} was served by {@code toTier}. */
  public void fallback(String fromTier, String toTier) {
    routing.fallback(fromTier, toTier);
  }

  /** Lets tests see each request's computed sample; the meters are the product, this is the probe. */
  void observe(Consumer<Sample> observer) {
    observers.add(observer);
  }

  BackendMeters meters(String backend) {
    return backend == null ? null : backends.get(backend);
  }

  void record(Sample s, BackendMeters m) {
    if (m == null) {
      unrouted.increment(s.endpoint(), s.outcome());
    } else {
      m.requests.increment(s.endpoint(), s.outcome());
      if (s.outcome() == Outcome.OK) {
        BackendMeters.record(m.duration, s.durationNanos());
      }
      BackendMeters.record(m.overhead, s.overheadNanos());
      BackendMeters.record(m.ttft, s.ttftNanos());
      BackendMeters.record(m.upstreamTtft, s.upstreamTtftNanos());
      BackendMeters.record(m.firstAnswer, s.firstAnswerNanos());
      BackendMeters.record(m.decodeTps, s.decodeTps());
      BackendMeters.record(m.prefillTps, s.prefillTps());
      BackendMeters.record(m.engineDecodeTps, s.engineDecodeTps());
      BackendMeters.record(m.enginePrefillTps, s.enginePrefillTps());
      if (s.promptEstimate() > 0 && s.promptTokens() > 0) {
        m.estimateError.record((double) s.promptEstimate() / s.promptTokens());
      }
      tokens(s, m);
      perTier.record(s);
    }
    for (Consumer<Sample> o : observers) {
      o.accept(s);
    }
  }

  private static void tokens(Sample s, BackendMeters m) {
    if (s.promptTokens() > 0) {
      m.promptTokens.increment(s.promptTokens());
    }
    if (s.cachedTokens() > 0) {
      m.cachedTokens.increment(s.cachedTokens());
    }
    if (s.completionTokens() > 0) {
      m.completionTokens.increment(s.completionTokens());
    }
    if (s.approximate()) {
      m.approximate.increment();
    }
  }

  /** Only the llama.cpp family sends {@code timings}; other engines get no empty engine-rate series. */
  private static boolean reportsTimings(Engine e) {
    return e == Engine.LLAMACPP || e == Engine.IKLLAMA;
  }

  /**
   * {@code tiergate_tier_info}. Through Micrometer a gauge named {@code *_info} loses the suffix
   * (the Prometheus client reserves it for info metrics), so on a Prometheus registry it is
   * registered as a native info metric, which is exported under exactly that name.
   */
  private void tierInfo(List<TierConfig> all) {
    String help = "1 per configured tier; scheme is the tier's configured quantization scheme";
    if (info == null && registry instanceof PrometheusMeterRegistry p) {
      info = Info.builder().name("tiergate_tier_info").help(help).labelNames("tier", "scheme").register(p.getPrometheusRegistry());
    }
    for (TierConfig t : all) {
      String scheme = scheme(t);
      if (info != null) {
        if (infoLabels.add(List.of(t.name(), scheme))) {
          info.addLabelValues(t.name(), scheme);
        }
      } else {
        Gauge.builder("tiergate_tier_info", () -> 1).description(help).tags("tier", t.name(), "scheme", scheme)
            .register(registry);
      }
    }
  }

  private static String scheme(TierConfig t) {
    return t.scheme() == null || t.scheme().isBlank() ? NONE : t.scheme();
  }

  private void backendGauges(String tier, BackendConfig b, BackendGauges gauges) {
    String name = b.name();
    String engine = b.engine() == null ? NONE : b.engine().id();
    // A reload registers the kept backends' gauges again: Micrometer would warn about each one.
    if (registry.find("tiergate_inflight_requests").tags("tier", tier, "backend", name).gauge() == null) {
      Gauge.builder("tiergate_inflight_requests", gauges, g -> g.inflight(name))
          .description("Requests open against the backend now").tags("tier", tier, "backend", name)
          .strongReference(true).register(registry);
    }
    if (registry.find("tiergate_backend_up").tags("tier", tier, "backend", name, "engine", engine).gauge() == null) {
      Gauge.builder("tiergate_backend_up", gauges, g -> g.up(name) ? 1 : 0)
          .description("1 when the gateway would route to the backend (probe not down or loading, circuit closed)")
          .tags("tier", tier, "backend", name, "engine", engine)
          .strongReference(true).register(registry);
    }
  }
}
