package dev.tiergate.admission;

import dev.tiergate.routing.RouteDecision;

/**
 * A request let through: the decision to use (its candidates perhaps reordered so the first can
 * start now), and how long it waited for that.
 */
public record Admitted(RouteDecision decision, long waitedNanos) {}
