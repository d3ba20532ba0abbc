package dev.tiergate.api;

import dev.tiergate.config.RoutingConfig;
import dev.tiergate.errors.GatewayError;
import io.vertx.core.MultiMap;
import java.util.Locale;

/**
 * Reads the client's hints: the tier it prefers ({@code x-tiergate-tier} wins over a model alias,
 * {@code tiergate/<tier>} or a configured alias), {@code x-tiergate-strict: true} (never another
 * tier), {@code x-tiergate-priority: interactive | batch} (batch work waits behind interactive work
 * and is not protected from long prefills), and {@code x-tiergate-max-ttft-ms} (the first token
 * wanted within this many milliseconds: predicted routing picks the most preferred tier that can).
 *
 * @param maxTtftMs the client's TTFT objective, or -1
 */
record Hints(String tier, String source, boolean strict, boolean batch, long maxTtftMs) {
  static final String TIER_HEADER = "x-tiergate-tier";
  static final String STRICT_HEADER = "x-tiergate-strict";
  static final String PRIORITY_HEADER = "x-tiergate-priority";
  static final String MAX_TTFT_HEADER = "x-tiergate-max-ttft-ms";
  static final String MODEL_PREFIX = "tiergate/";

  static Hints read(MultiMap headers, String model, RoutingConfig routing) {
    boolean strict = isTrue(headers.get(STRICT_HEADER));
    boolean batch = batch(headers.get(PRIORITY_HEADER));
    long maxTtft = maxTtft(headers.get(MAX_TTFT_HEADER));
    String header = headers.get(TIER_HEADER);
    if (header != null && !header.isBlank()) {
      String t = header.trim().toLowerCase(Locale.ROOT);
      return auto(t) ? new Hints(null, null, strict, batch, maxTtft) : new Hints(t, "header", strict, batch, maxTtft);
    }
    String alias = aliasTier(model, routing);
    return alias == null ? new Hints(null, null, strict, batch, maxTtft) : new Hints(alias, "model", strict, batch, maxTtft);
  }

  private static boolean batch(String v) {
    if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("interactive")) {
      return false;
    }
    if (v.trim().equalsIgnoreCase("batch")) {
      return true;
    }
    throw GatewayError.invalid("Invalid value for header '" + PRIORITY_HEADER + "': '" + v + "'. Supported values are: "
        + "'interactive', 'batch'.", PRIORITY_HEADER);
  }

  private static long maxTtft(String v) {
    if (v == null || v.isBlank()) {
      return -1;
    }
    try {
      long ms = Long.parseLong(v.trim());
      if (ms > 0) {
        return ms;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw GatewayError.invalid("Invalid value for header '" + MAX_TTFT_HEADER + "': expected a positive number of "
        + "milliseconds, got '" + v + "'.", MAX_TTFT_HEADER);
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
