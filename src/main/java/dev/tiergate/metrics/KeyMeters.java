package dev.tiergate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per gateway key, labelled with the key's configured name (never the key): requests by outcome,
 * prompt and completion tokens, and rejections by reason. Requests with no usable key count under
 * {@code key="none"}. Meters are made once per name; a name comes only from the configuration.
 */
final class KeyMeters {
  private final MeterRegistry registry;
  private final Map<String, Row> rows = new ConcurrentHashMap<>();

  KeyMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  private final class Row {
    final Counter[] outcomes = new Counter[Outcome.values().length];
    final Map<KeyRejection, Counter> rejections = new EnumMap<>(KeyRejection.class);
    final Counter prompt;
    final Counter completion;

    Row(String key) {
      for (Outcome o : Outcome.values()) {
        outcomes[o.ordinal()] = Counter.builder("tiergate_key_requests").description("Requests per gateway key by how they ended")
            .tags("key", key, "outcome", o.label).register(registry);
      }
      for (KeyRejection r : KeyRejection.values()) {
        rejections.put(r, Counter.builder("tiergate_key_rejections")
            .description("Requests refused for their key: unauthorized, forbidden_tier, permission_denied, rate_limited")
            .tags("key", key, "reason", r.label).register(registry));
      }
      prompt = tokens(key, "prompt");
      completion = tokens(key, "completion");
    }

    private Counter tokens(String key, String type) {
      return Counter.builder("tiergate_key_tokens").description("Tokens per gateway key as the engines reported them")
          .tags("key", key, "type", type).register(registry);
    }
  }

  private Row row(String key) {
    Row r = rows.get(key);
    return r != null ? r : rows.computeIfAbsent(key, Row::new);
  }

  void register(String key) {
    row(key);
  }

  void request(String key, Outcome outcome, long prompt, long completion) {
    Row r = row(key);
    r.outcomes[outcome.ordinal()].increment();
    if (prompt > 0) {
      r.prompt.increment(prompt);
    }
    if (completion > 0) {
      r.completion.increment(completion);
    }
  }

  void rejected(String key, KeyRejection reason) {
    row(key).rejections.get(reason).increment();
  }
}
