package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.errors.GatewayError;
import java.util.ArrayList;
import java.util.List;

/**
 * The configured secrets (every backend's {@code apiKey}), so that an engine which echoes the
 * gateway's credentials in an error message cannot show them to a client or a status page.
 */
public final class Secrets {
  public static final Secrets NONE = new Secrets(List.of());
  private static final String MASK = "[redacted]";
  /** Shorter values would match ordinary words in messages; nobody configures such a key. */
  private static final int MIN_LENGTH = 6;

  /** Only grows: a key a reload removed may still sit in an engine's memory or logs. */
  private volatile List<String> values;

  private Secrets(List<String> values) {
    this.values = List.copyOf(values);
  }

  /** Adds the apiKeys of a reloaded config; the ones already known stay redacted too. */
  public synchronized void remember(GatewayConfig config) {
    if (this == NONE) {
      throw new IllegalStateException("Secrets.NONE is shared and stays empty");
    }
    List<String> v = new ArrayList<>(values);
    of(config).values.stream().filter(k -> !v.contains(k)).forEach(v::add);
    values = List.copyOf(v);
  }

  public static Secrets of(GatewayConfig config) {
    List<String> v = new ArrayList<>();
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        if (b.apiKey() != null && b.apiKey().length() >= MIN_LENGTH && !v.contains(b.apiKey())) {
          v.add(b.apiKey());
        }
      }
    }
    return new Secrets(v);
  }

  public String redact(String text) {
    List<String> known = values;
    if (text == null || known.isEmpty()) {
      return text;
    }
    String out = text;
    for (String s : known) {
      if (out.contains(s)) {
        out = out.replace(s, MASK);
      }
    }
    return out;
  }

  public GatewayError redact(GatewayError e) {
    String m = e.getMessage();
    String r = redact(m);
    return r == m ? e : e.withMessage(r);
  }
}
