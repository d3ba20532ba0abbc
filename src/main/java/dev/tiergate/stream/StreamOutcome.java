package dev.tiergate.stream;

/** How a relayed stream ended. */
public enum StreamOutcome {
  /** The upstream finished with {@code [DONE]} (or ended cleanly after its last event). */
  OK,
  /** The upstream failed mid-stream: an error event, a lost connection, or no {@code [DONE]}. */
  UPSTREAM_ERROR,
  /** The idle or total deadline passed. */
  TIMEOUT,
  /** The client went away. */
  CANCELLED,
  /** The gateway cut it: the drain time of a shutdown ran out. */
  SHUT_DOWN
}
