package dev.tiergate.metrics;

import dev.tiergate.config.GatewayConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of the gateway. Labels only ever carry configured names (tier, backend, engine) or fixed
 * words (endpoint, outcome, reason), so a client cannot grow the series count.
 */
public final class GatewayMetrics {
  private final MeterRegistry registry;
  private final GatewayConfig config;
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();

  public GatewayMetrics(MeterRegistry registry, GatewayConfig config) {
    this.registry = registry;
    this.config = config;
  }

  public MeterRegistry registry() {
    return registry;
  }

  public GatewayConfig config() {
    return config;
  }

  /** Starts the record of one request the gateway has fully received. */
  public RequestRecorder begin(String endpoint, long receivedNanos) {
    return new RequestRecorder(this, endpoint, receivedNanos);
  }

  public void decision(String tier, String reason) {}

  public void fallback(String fromTier, String toTier) {}

  void count(String tier, String backend, String endpoint, String outcome) {
    String key = tier + '\0' + backend + '\0' + endpoint + '\0' + outcome;
    requests.computeIfAbsent(key, k -> Counter.builder("tiergate_requests")
        .tags("tier", tier, "backend", backend, "endpoint", endpoint, "outcome", outcome)
        .register(registry)).increment();
  }
}
