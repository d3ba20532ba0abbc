package dev.tiergate.routing;

import java.util.List;

/**
 * The ordered backends to try for one request.
 *
 * @param tier the tier the policy wanted before health and context fit were applied
 * @param reason why that tier was wanted (rule:NAME, hint:header, hint:model, default)
 * @param candidates backends to try in order; never empty
 * @param skipped tiers passed over and why, e.g. "prefill:context", "max:down"
 */
public record RouteDecision(String tier, String reason, List<Candidate> candidates, List<String> skipped) {}
