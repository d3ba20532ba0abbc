package dev.tiergate.api;

import dev.tiergate.config.RoutingConfig;
import io.vertx.core.MultiMap;
import java.util.Locale;

/**
 * Reads the client's tier preference: the {@code x-tiergate-tier} header wins over a model alias
 * ({@code tiergate/<tier>} or a configured alias); {@code x-tiergate-strict: true} forbids falling
 * back to another tier.
 */
record Hints(String tier, String source, boolean strict) {
  static final String TIER_HEADER = "x-tiergate-tier";
  static final String STRICT_HEADER = "x-tiergate-strict";
  static final String MODEL_PREFIX = "tiergate/";

  static Hints read(MultiMap headers, String model, RoutingConfig routing) {
    boolean strict = isTrue(headers.get(STRICT_HEADER));
    String header = headers.get(TIER_HEADER);
    if (header != null && !header.isBlank()) {
      String t = header.trim().toLowerCase(Locale.ROOT);
      return auto(t) ? new Hints(null, null, strict) : new Hints(t, "header", strict);
    }
    String alias = aliasTier(model, routing);
    return alias == null ? new Hints(null, null, strict) : new Hints(alias, "model", strict);
  }

  /** The tier a model name stands for, or null when it names no tier. */
  static String aliasTier(String model, RoutingConfig routing) {
    if (model == null) {
      return null;
    }
    String configured = routing.aliases().get(model);
    if (configured != null) {
      return configured;
    }
    if (model.startsWith(MODEL_PREFIX)) {
      String t = model.substring(MODEL_PREFIX.length()).toLowerCase(Locale.ROOT);
      return auto(t) ? null : t;
    }
    return null;
  }

  private static boolean auto(String t) {
    return t.isEmpty() || t.equals("auto") || t.equals("default");
  }

  private static boolean isTrue(String v) {
    return v != null && (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes"));
  }
}
