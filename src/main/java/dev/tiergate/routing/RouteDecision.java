package dev.tiergate.routing;

import java.util.List;

/**
 * The ordered backends to try for one request.
 *
 * @param tier the tier the policy wanted before health and context fit were applied
 * @param reason why that tier was wanted (rule:NAME, hint:header, hint:model, default)
 * @param candidates backends to try in order; never empty unless a swap is needed
 * @param skipped tiers passed over and why, e.g. "prefill:context", "max:down", "max:swapped-out"
 * @param swapTo the wanted tier when it is not live and the request must wait for a swap to it;
 *     the request is decided again once the tier is live
 */
public record RouteDecision(String tier, String reason, List<Candidate> candidates, List<String> skipped, String swapTo) {
  public RouteDecision(String tier, String reason, List<Candidate> candidates, List<String> skipped) {
    this(tier, reason, candidates, skipped, null);
  }

  public boolean needsSwap() {
    return swapTo != null;
  }

  /** The predicted TTFT of the named candidate, NaN when there is none. */
  public double predictedTtftMs(String backend) {
    for (Candidate c : candidates) {
      if (c.backend().name().equals(backend)) {
        return c.predictedTtftMs();
      }
    }
    return Double.NaN;
  }
}
