package dev.tiergate.fleet;

import dev.tiergate.config.BackendConfig;
import java.util.List;
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
  private volatile long circuitOpenUntil;
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

  boolean routable(long now) {
    Health h = health;
    return h != Health.DOWN && h != Health.LOADING && !circuitOpen(now) && !full();
  }

  /** At its configured concurrency limit; routing skips it until a request finishes. */
  public boolean full() {
    Integer max = config.maxInflight();
    return max != null && inflight.get() >= max;
  }

  void started() {
    inflight.incrementAndGet();
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
