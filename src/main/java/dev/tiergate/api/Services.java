package dev.tiergate.api;

import dev.tiergate.admission.Admissions;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.lifecycle.Lifecycles;
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
 * @param lifecycles the managed tiers and their swaps (empty when no tier has a lifecycle)
 * @param admissions the admission queues (none when no tier has admission control)
 */
public record Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Shutdown shutdown,
    BufferBudget budget, AtomicInteger openConnections, Secrets secrets, Lifecycles lifecycles, Admissions admissions) {

  public Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Shutdown shutdown,
      Lifecycles lifecycles, Admissions admissions) {
    this(config, router, fleet, metrics, shutdown, new BufferBudget(config.server().maxBufferedBytes()), new AtomicInteger(),
        Secrets.of(config), lifecycles, admissions);
  }
}
