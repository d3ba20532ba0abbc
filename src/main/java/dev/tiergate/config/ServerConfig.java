package dev.tiergate.config;

/** Where the gateway listens and how much it accepts from one client. */
public record ServerConfig(
    String host,
    Integer port,
    Long maxBodyBytes,
    Long maxResponseBytes,
    Integer instances,
    Long drainMs,
    ReasoningField reasoningField,
    Boolean nativeTransport) {

  public ServerConfig {
    host = host == null ? "127.0.0.1" : host;
    port = port == null ? 8080 : port;
    maxBodyBytes = maxBodyBytes == null ? 16L * 1024 * 1024 : maxBodyBytes;
    maxResponseBytes = maxResponseBytes == null ? 64L * 1024 * 1024 : maxResponseBytes;
    instances = instances == null ? Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())) : instances;
    drainMs = drainMs == null ? 30_000L : drainMs;
    reasoningField = reasoningField == null ? ReasoningField.AS_SENT : reasoningField;
    nativeTransport = nativeTransport == null || nativeTransport;
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, maxBodyBytes, maxResponseBytes, instances, drainMs, reasoningField, nativeTransport);
  }

  public static ServerConfig defaults() {
    return new ServerConfig(null, null, null, null, null, null, null, null);
  }
}

