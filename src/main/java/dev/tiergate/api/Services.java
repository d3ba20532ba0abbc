package dev.tiergate.api;

import dev.tiergate.admission.Admissions;
import dev.tiergate.auth.Keys;
import dev.tiergate.auth.Limits;
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
 * @param keys the gateway keys (not {@link Keys#enabled()} when the gateway is open)
 * @param limits per-key RPM, TPM and concurrency
 */
public record Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Shutdown shutdown,
    BufferBudget budget, AtomicInteger openConnections, Secrets secrets, Lifecycles lifecycles, Admissions admissions, Keys keys,
    Limits limits) {

  public Services(GatewayConfig config, TierRouter router, Fleet fleet, GatewayMetrics metrics, Shutdown shutdown,
      Lifecycles lifecycles, Admissions admissions, Keys keys, Limits limits) {
    this(config, router, fleet, metrics, shutdown, new BufferBudget(config.server().maxBufferedBytes()), new AtomicInteger(),
        Secrets.of(config), lifecycles, admissions, keys, limits);
  }

  /**
   * Re-reads the keys file (blocking: off the event loop). On success the limits forget removed
   * keys and the metrics get the new names; on failure the keys in force stay.
   */
  public Keys.Reload reloadKeys() {
    Keys.Reload r = keys.reload();
    if (r.reloaded()) {
      limits.retain(keys.principals());
      metrics.registerKeys(keys.principals().stream().map(dev.tiergate.auth.Principal::name).toList());
    }
    return r;
  }
}
