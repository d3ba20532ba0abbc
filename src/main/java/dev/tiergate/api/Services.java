package dev.tiergate.api;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.routing.TierRouter;

/** The process-wide pieces every API verticle instance shares. */
public record Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Lifecycle lifecycle) {

}
