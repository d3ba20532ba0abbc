package dev.tiergate.config;

/**
 * Active probes and the passive circuit breaker. A backend whose last {@code failureThreshold}
 * attempts failed is skipped for {@code cooldownMs}, then let through again on trial.
 */
public record HealthConfig(Long intervalMs, Long timeoutMs, Integer failureThreshold, Long cooldownMs) {
  public HealthConfig {
    intervalMs = intervalMs == null ? 5_000L : intervalMs;
    timeoutMs = timeoutMs == null ? 2_000L : timeoutMs;
    failureThreshold = failureThreshold == null ? 3 : failureThreshold;
    cooldownMs = cooldownMs == null ? 10_000L : cooldownMs;
  }

  public static HealthConfig defaults() {
    return new HealthConfig(null, null, null, null);
  }
}
