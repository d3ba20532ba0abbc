package dev.tiergate.api;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.routing.TierRouter;
import dev.tiergate.stream.BufferBudget;
import dev.tiergate.upstream.Secrets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process-wide pieces every API verticle instance shares.
 *
 * @param budget bytes of request and response bodies held in memory, across all event loops
 * @param openConnections client connections open, across all event loops
 */
public record Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Lifecycle lifecycle,
    BufferBudget budget, AtomicInteger openConnections, Secrets secrets) {

  public Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Lifecycle lifecycle) {
    this(config, router, fleet, metrics, lifecycle, new BufferBudget(config.server().maxBufferedBytes()), new AtomicInteger(),
        Secrets.of(config));
  }
}
