package dev.tiergate.api;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.routing.TierRouter;

/** The process-wide pieces every API verticle instance shares. */
public record Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Lifecycle lifecycle) {

  /** Whether the gateway still takes new requests (false while draining for shutdown). */
  public static final class Lifecycle {
    private volatile boolean draining;

    public boolean draining() {
      return draining;
    }

    public void startDraining() {
      draining = true;
    }
  }
}
