package dev.tiergate.metrics;

import dev.tiergate.config.Api;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code tiergate_requests_total} for one tier/backend pair. Every endpoint × outcome counter is
 * registered up front, so dashboards see zeros instead of gaps and counting allocates nothing.
 */
final class RequestCounters {
  static final String NAME = "tiergate_requests";
  /**
   * Registered up front: the endpoints nearly every deployment uses. The other {@link Api} ids (the
   * only values that reach this label) get their counters on first use, so a gateway nobody sends
   * embeddings to does not export seven empty series per backend for them.
   */
  static final String[] ENDPOINTS = {Api.CHAT.id(), Api.COMPLETIONS.id()};

  private final MeterRegistry registry;
  private final String tier;
  private final String backend;
  private final Map<String, Counter[]> byEndpoint = new ConcurrentHashMap<>();

  RequestCounters(MeterRegistry registry, String tier, String backend) {
    this.registry = registry;
    this.tier = tier;
    this.backend = backend;
    for (String e : ENDPOINTS) {
      byEndpoint.put(e, create(e));
    }
  }

  void increment(String endpoint, Outcome outcome) {
    Counter[] row = byEndpoint.get(endpoint);
    if (row == null) {
      row = byEndpoint.computeIfAbsent(endpoint, this::create);
    }
    row[outcome.ordinal()].increment();
  }

  private Counter[] create(String endpoint) {
    Outcome[] all = Outcome.values();
    Counter[] row = new Counter[all.length];
    for (Outcome o : all) {
      row[o.ordinal()] = Counter.builder(NAME)
          .description("Requests by the tier and backend that served them and how they ended")
          .tags("tier", tier, "backend", backend, "endpoint", endpoint, "outcome", o.label)
          .register(registry);
    }
    return row;
  }
}
