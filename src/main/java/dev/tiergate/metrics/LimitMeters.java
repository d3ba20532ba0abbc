package dev.tiergate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code tiergate_limit_hits_total{limit}}: every time a protective limit bites, so an operator can
 * tell a limit set too low from an attack; plus {@code tiergate_internal_errors_total}, and gauges
 * of what the limits measure (open connections, buffered bytes).
 */
final class LimitMeters {
  private final Map<Limit, Counter> hits = new EnumMap<>(Limit.class);
  final Counter internalErrors;

  LimitMeters(MeterRegistry registry) {
    for (Limit l : Limit.values()) {
      hits.put(l, Counter.builder("tiergate_limit_hits").description("Requests or connections refused or cut by a protective limit")
          .tags("limit", l.label).register(registry));
    }
    internalErrors = Counter.builder("tiergate_internal_errors")
        .description("Unexpected exceptions in the gateway, each answered 500 and logged once").register(registry);
  }

  void hit(Limit l) {
    hits.get(l).increment();
  }

  static void gauge(MeterRegistry registry, String name, String help, LongSupplier value) {
    Gauge.builder(name, value, v -> v.getAsLong()).description(help).strongReference(true).register(registry);
  }
}
