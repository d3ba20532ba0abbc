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

  private final List<String> values;

  private Secrets(List<String> values) {
    this.values = List.copyOf(values);
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
    if (text == null || values.isEmpty()) {
      return text;
    }
    String out = text;
    for (String s : values) {
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
