package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Active probes and the passive circuit breaker. A backend whose last {@code failureThreshold}
 * attempts failed is skipped for {@code cooldownMs}, then let through again on trial. A backend
 * whose requests wait {@code stallMs} for a first output while nothing else moves is checked with a
 * one-token request (the deep probe), since {@code /health} stays 200 on an engine that no longer
 * serves. Discovery (served names, context window) is repeated every {@code discoveryIntervalMs},
 * because an engine restarted between two probes may come back with another window.
 */
public record HealthConfig(Long intervalMs, Long timeoutMs, Integer failureThreshold, Long cooldownMs, Long stallMs,
    Long deepProbeTimeoutMs, Long discoveryIntervalMs) {
  @JsonCreator
  public HealthConfig {
    intervalMs = intervalMs == null ? 5_000L : intervalMs;
    timeoutMs = timeoutMs == null ? 2_000L : timeoutMs;
    failureThreshold = failureThreshold == null ? 3 : failureThreshold;
    cooldownMs = cooldownMs == null ? 10_000L : cooldownMs;
    stallMs = stallMs == null ? 10_000L : stallMs;
    deepProbeTimeoutMs = deepProbeTimeoutMs == null ? 10_000L : deepProbeTimeoutMs;
    discoveryIntervalMs = discoveryIntervalMs == null ? 60_000L : discoveryIntervalMs;
  }

  public HealthConfig(Long intervalMs, Long timeoutMs, Integer failureThreshold, Long cooldownMs) {
    this(intervalMs, timeoutMs, failureThreshold, cooldownMs, null, null, null);
  }

  public static HealthConfig defaults() {
    return new HealthConfig(null, null, null, null);
  }
}
