package dev.tiergate.config;

/**
 * The Prometheus scrape endpoint. By default it is served on the gateway's own port; setting
 * {@code port} moves it to a separate management listener (so it can be firewalled apart from the
 * API), bound to {@code host} or, when unset, the gateway's host. Port 0 picks a free port.
 */
public record MetricsConfig(Boolean enabled, String host, Integer port, String path) {

  public MetricsConfig {
    enabled = enabled == null ? Boolean.TRUE : enabled;
    path = path == null ? "/metrics" : path;
  }

  public static MetricsConfig defaults() {
    return new MetricsConfig(null, null, null, null);
  }

  /** True when {@code /metrics} is a route of the API router rather than its own listener. */
  public boolean onGatewayPort() {
    return enabled && port == null;
  }

  public boolean separatePort() {
    return enabled && port != null;
  }
}
