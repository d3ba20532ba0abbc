package dev.tiergate.routing;

import java.util.OptionalInt;

/** A read-only snapshot of live backend state, so the policy stays free of I/O and clocks. */
public interface FleetView {
  /** True when the backend is ready and its circuit lets a request through. */
  boolean routable(String backend);

  int inflight(String backend);

  /** True when the backend is healthy but at its concurrency limit (not routable for that reason). */
  default boolean busy(String backend) {
    return false;
  }

  /**
   * Whether the backend can serve the endpoint (an {@code Api} id) at all, natively or translated:
   * embeddings and rerank need a pooling model, the token counters an engine that has them.
   */
  default boolean serves(String backend, String endpoint) {
    return true;
  }

  /** The usable context window: configured, else discovered, else unknown. */
  OptionalInt contextWindow(String backend);

  /** What the backend is busy with: the gateway's own outstanding work and the engine's report. */
  default BackendLoad load(String backend) {
    return BackendLoad.IDLE;
  }

  /** The backend's learned rates, or null when the fleet has none (then nothing is predicted). */
  default BackendRates rates(String backend) {
    return null;
  }

  /** Whether the tier is the live one of its group; tiers outside groups always are. */
  default boolean live(String tier) {
    return true;
  }
}
