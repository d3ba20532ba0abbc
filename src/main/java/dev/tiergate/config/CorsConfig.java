package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Cross-origin access for browser clients. Off until {@code allowOrigins} names an origin: a page
 * may then call the API from those origins (or from any, with the single entry {@code "*"}) and read
 * the gateway's headers. Keys travel in headers, so credentials mode (cookies) is never allowed.
 *
 * @param allowOrigins exact origins ({@code https://chat.example.com}, {@code http://localhost:5173}) or {@code "*"}
 * @param maxAgeSeconds how long a browser may reuse a preflight's answer
 */
public record CorsConfig(
    // allowOrigins: "*" reads as naturally as a list of one.
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> allowOrigins,
    Integer maxAgeSeconds) {

  @JsonCreator
  public CorsConfig {
    // Not List.copyOf: a null entry must reach the validator, which names its index.
    allowOrigins = allowOrigins == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(allowOrigins));
    maxAgeSeconds = maxAgeSeconds == null ? 600 : maxAgeSeconds;
  }

  public static CorsConfig defaults() {
    return new CorsConfig(null, null);
  }

  public boolean enabled() {
    return !allowOrigins.isEmpty();
  }

  /** Every origin may call: the single entry {@code "*"}. */
  public boolean anyOrigin() {
    return allowOrigins.size() == 1 && "*".equals(allowOrigins.get(0));
  }
}
