package dev.tiergate.api;

import dev.tiergate.admission.Admissions;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TimeoutConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.routing.TierRouter;
import java.util.HashMap;
import java.util.Map;

/**
 * One config in force with everything built from it: the routing policy, the fleet's view of its
 * backends, the admission queues and each tier's timeouts. Immutable; a reload publishes a new one
 * and a request takes the one in force once, when its body has arrived, so no request ever sees
 * half of two configs.
 *
 * @param number 1 for the config the gateway started with, then one more per reload
 */
public record Generation(long number, GatewayConfig config, TierRouter router, Fleet fleet, Admissions admissions,
    Map<String, TimeoutConfig> timeouts) {

  public Generation(long number, GatewayConfig config, TierRouter router, Fleet fleet, Admissions admissions) {
    this(number, config, router, fleet, admissions, timeouts(config));
  }

  public Generation {
    timeouts = Map.copyOf(timeouts);
  }

  /** Each tier's effective timeouts, merged once rather than per request. */
  private static Map<String, TimeoutConfig> timeouts(GatewayConfig config) {
    Map<String, TimeoutConfig> m = new HashMap<>();
    config.tiers().forEach(t -> m.put(t.name(), config.timeoutsFor(t)));
    return m;
  }
}
