package dev.tiergate.metrics;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

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
  private final GatewayConfig config;
  private final Map<String, BackendMeters> backends = new HashMap<>();
  private final RequestCounters unrouted;
  private final RoutingCounters routing;
  private final LimitMeters limits;
  private final SwapMeters swaps;
  private final KeyMeters keys;
  private final java.util.concurrent.atomic.AtomicInteger limitStoreUp = new java.util.concurrent.atomic.AtomicInteger(-1);
  private final TierMeters perTier;
  private final List<Consumer<Sample>> observers = new CopyOnWriteArrayList<>();
  private ProcessMeters process;

  public GatewayMetrics(MeterRegistry registry, GatewayConfig config) {
    this(registry, config, BackendGauges.NONE);
  }

  public GatewayMetrics(MeterRegistry registry, GatewayConfig config, BackendGauges gauges) {
    this.registry = registry;
    this.config = config;
    this.unrouted = new RequestCounters(registry, NONE, NONE);
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        backends.put(b.name(), new BackendMeters(registry, t.name(), b.name(), reportsTimings(b.engine())));
        backendGauges(t.name(), b, gauges);
      }
    }
    tierInfo(config.tiers());
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

  /** Gauges of each backend's admission queue. */
  public void bindQueueLengths(Iterable<String> backends, java.util.function.ToIntFunction<String> length) {
    perTier.queueLengths(backends, length);
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
    Info info = registry instanceof PrometheusMeterRegistry p
        ? Info.builder().name("tiergate_tier_info").help(help).labelNames("tier", "scheme")
            .register(p.getPrometheusRegistry())
        : null;
    for (TierConfig t : all) {
      String scheme = t.scheme() == null || t.scheme().isBlank() ? NONE : t.scheme();
      if (info != null) {
        info.addLabelValues(t.name(), scheme);
      } else {
        Gauge.builder("tiergate_tier_info", () -> 1).description(help).tags("tier", t.name(), "scheme", scheme)
            .register(registry);
      }
    }
  }

  private void backendGauges(String tier, BackendConfig b, BackendGauges gauges) {
    String name = b.name();
    Gauge.builder("tiergate_inflight_requests", gauges, g -> g.inflight(name))
        .description("Requests open against the backend now").tags("tier", tier, "backend", name)
        .strongReference(true).register(registry);
    Gauge.builder("tiergate_backend_up", gauges, g -> g.up(name) ? 1 : 0)
        .description("1 when the gateway would route to the backend (probe not down or loading, circuit closed)")
        .tags("tier", tier, "backend", name, "engine", b.engine() == null ? NONE : b.engine().id())
        .strongReference(true).register(registry);
  }
}
