package dev.tiergate.fleet;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.upstream.Admission;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Live state of one backend, shared by all event loops; every field is safe to read anywhere. */
public final class BackendState {
  /** What the probes last saw. UNKNOWN is routable: we have not been told otherwise yet. */
  public enum Health { UNKNOWN, READY, LOADING, DOWN }

  private final String tier;
  private final BackendConfig config;
  private final AtomicInteger inflight = new AtomicInteger();
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private volatile Health health = Health.UNKNOWN;
  /** 0 while the circuit is closed; otherwise open until then, half-open after. */
  private volatile long circuitOpenUntil;
  /** A half-open circuit lets one request through at a time; its outcome closes or reopens it. */
  private final AtomicBoolean trialInFlight = new AtomicBoolean();
  private volatile Integer discoveredWindow;
  private volatile List<String> servedModels = List.of();
  private volatile String lastError;

  BackendState(String tier, BackendConfig config) {
    this.tier = tier;
    this.config = config;
  }

  public String tier() {
    return tier;
  }

  public BackendConfig config() {
    return config;
  }

  public int inflight() {
    return inflight.get();
  }

  public Health health() {
    return health;
  }

  public String lastError() {
    return lastError;
  }

  public Integer discoveredWindow() {
    return discoveredWindow;
  }

  public boolean circuitOpen(long now) {
    return now < circuitOpenUntil;
  }

  /** {@code closed}, {@code open}, or {@code half-open} (cool-down over, one trial request allowed). */
  public String circuit(long now) {
    long until = circuitOpenUntil;
    return until == 0 ? "closed" : now < until ? "open" : "half-open";
  }

  /** The circuit lets a new request through: closed, or half-open with no trial in flight. */
  public boolean circuitAdmits(long now) {
    long until = circuitOpenUntil;
    return until == 0 || now >= until && !trialInFlight.get();
  }

  boolean routable(long now) {
    Health h = health;
    // Without a configured model the name to send comes from discovery; before the first probe we
    // would pass the client's name through, which vLLM and SGLang answer with 404.
    boolean nameKnown = h != Health.UNKNOWN || config.model() != null;
    return h != Health.DOWN && h != Health.LOADING && nameKnown && circuitAdmits(now) && !full();
  }

  /** At its configured concurrency limit; routing skips it until a request finishes. */
  public boolean full() {
    Integer max = config.maxInflight();
    return max != null && inflight.get() >= max;
  }

  /** Admits an attempt and counts it in flight; a half-open circuit admits one trial at a time. */
  Admission start(long now) {
    long until = circuitOpenUntil;
    Admission a = until == 0 || now < until ? Admission.ADMITTED
        : trialInFlight.compareAndSet(false, true) ? Admission.TRIAL : Admission.REFUSED;
    if (a == Admission.TRIAL && now < circuitOpenUntil) {
      // A failed trial reopened the circuit between our read and the CAS: not a trial after all.
      trialInFlight.set(false);
      a = Admission.REFUSED;
    }
    if (a != Admission.REFUSED) {
      inflight.incrementAndGet();
    }
    return a;
  }

  /** The trial is over (after its outcome was recorded), so the next request may be one. */
  void endTrial() {
    trialInFlight.set(false);
  }

  void finished() {
    inflight.decrementAndGet();
  }

  /** Counts a failure; opens the circuit when the threshold is reached. */
  void failed(String why, long now, int threshold, long cooldownNanos) {
    lastError = why;
    if (consecutiveFailures.incrementAndGet() >= threshold) {
      circuitOpenUntil = now + cooldownNanos;
    }
  }

  void succeeded() {
    consecutiveFailures.set(0);
    circuitOpenUntil = 0;
  }

  /** A trial produced output: traffic may flow again; the failure count waits for a good end. */
  void closeCircuit() {
    circuitOpenUntil = 0;
  }

  void health(Health h, String error) {
    health = h;
    if (error != null) {
      lastError = error;
    }
  }

  void discoveredWindow(Integer window) {
    discoveredWindow = window;
  }

  /** The model names the engine reported on its last discovery (empty until then). */
  public List<String> servedModels() {
    return servedModels;
  }

  void servedModels(List<String> models) {
    servedModels = List.copyOf(models);
  }

  /** The name to send upstream: the configured one, else the first the engine reported, else null. */
  public String effectiveModel() {
    if (config.model() != null) {
      return config.model();
    }
    List<String> m = servedModels;
    return m.isEmpty() ? null : m.get(0);
  }

  public int consecutiveFailures() {
    return consecutiveFailures.get();
  }
}
