package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Where the gateway listens and how much it accepts from clients. The limits have safe defaults so
 * that no client, however slow or however many, can exhaust memory, connections or file
 * descriptors: each one that bites answers fast and counts in {@code tiergate_limit_hits_total}.
 */
public record ServerConfig(
    String host,
    Integer port,
    Long maxBodyBytes,
    Long maxResponseBytes,
    Integer instances,
    Long drainMs,
    ReasoningField reasoningField,
    Boolean nativeTransport,
    Long maxBufferedBytes,
    Integer maxConnections,
    Long headerTimeoutMs,
    Long bodyTimeoutMs,
    Long keepAliveTimeoutMs,
    Long maxEventBytes,
    AccessLogFormat accessLog,
    CorsConfig cors) {

  @JsonCreator
  public ServerConfig {
    host = host == null ? "127.0.0.1" : host;
    port = port == null ? 8080 : port;
    maxBodyBytes = maxBodyBytes == null ? 16L * 1024 * 1024 : maxBodyBytes;
    maxResponseBytes = maxResponseBytes == null ? 64L * 1024 * 1024 : maxResponseBytes;
    instances = instances == null ? Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())) : instances;
    drainMs = drainMs == null ? 30_000L : drainMs;
    reasoningField = reasoningField == null ? ReasoningField.AS_SENT : reasoningField;
    nativeTransport = nativeTransport == null || nativeTransport;
    maxBufferedBytes = maxBufferedBytes == null ? defaultBufferedBytes() : maxBufferedBytes;
    maxConnections = maxConnections == null ? defaultMaxConnections() : maxConnections;
    headerTimeoutMs = headerTimeoutMs == null ? 10_000L : headerTimeoutMs;
    bodyTimeoutMs = bodyTimeoutMs == null ? 60_000L : bodyTimeoutMs;
    keepAliveTimeoutMs = keepAliveTimeoutMs == null ? 60_000L : keepAliveTimeoutMs;
    maxEventBytes = maxEventBytes == null ? 1024L * 1024 : maxEventBytes;
    accessLog = accessLog == null ? AccessLogFormat.OFF : accessLog;
    cors = cors == null ? CorsConfig.defaults() : cors;
  }

  public ServerConfig(String host, Integer port, Long maxBodyBytes, Long maxResponseBytes, Integer instances, Long drainMs,
      ReasoningField reasoningField, Boolean nativeTransport) {
    this(host, port, maxBodyBytes, maxResponseBytes, instances, drainMs, reasoningField, nativeTransport,
        null, null, null, null, null, null, null, null);
  }

  public ServerConfig withPort(int p) {
    return new ServerConfig(host, p, maxBodyBytes, maxResponseBytes, instances, drainMs, reasoningField, nativeTransport,
        maxBufferedBytes, maxConnections, headerTimeoutMs, bodyTimeoutMs, keepAliveTimeoutMs, maxEventBytes, accessLog, cors);
  }

  public static ServerConfig defaults() {
    return new ServerConfig(null, null, null, null, null, null, null, null);
  }

  /** A quarter of the heap: the rest is for streams in flight, the JIT and the collector's headroom. */
  static long defaultBufferedBytes() {
    return Math.max(64L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
  }

  /**
   * Every client connection may need an upstream one too, so half the descriptors the process may
   * open, less a reserve for listeners, probes and logs; at most 10,000.
   */
  static int defaultMaxConnections() {
    long fds = 4096;
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      fds = unix.getMaxFileDescriptorCount();
    }
    return (int) Math.max(64, Math.min(10_000, (fds - 256) / 2));
  }
}
