package dev.tiergate.metrics;

/** The gateway's own protective limits, as the fixed values of the {@code limit} label. */
public enum Limit {
  /** The sum of buffered request and response bodies would pass {@code server.maxBufferedBytes}. */
  BUFFERED_BYTES("buffered_bytes"),
  /** {@code server.maxConnections} client connections were already open. */
  CONNECTIONS("connections"),
  /** A connection sent no complete request head within {@code server.headerTimeoutMs}. */
  HEADER_TIMEOUT("header_timeout"),
  /** A request body did not arrive whole within {@code server.bodyTimeoutMs}. */
  BODY_TIMEOUT("body_timeout"),
  /** A kept-alive connection stayed idle for {@code server.keepAliveTimeoutMs}. */
  KEEP_ALIVE_IDLE("keep_alive_idle"),
  /** A request body larger than {@code server.maxBodyBytes}. */
  BODY_SIZE("body_size"),
  /** An upstream SSE event larger than {@code server.maxEventBytes}. */
  EVENT_SIZE("event_size");

  public final String label;

  Limit(String label) {
    this.label = label;
  }
}
