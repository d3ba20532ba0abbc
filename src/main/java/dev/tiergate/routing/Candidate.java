package dev.tiergate.routing;

import dev.tiergate.config.BackendConfig;

/**
 * One backend to try, in order, and the reason it is on the list.
 *
 * @param predictedTtftMs what the predictor expects here, NaN when the backend has no rates yet
 */
public record Candidate(String tier, BackendConfig backend, String reason, double predictedTtftMs) {
  public Candidate(String tier, BackendConfig backend, String reason) {
    this(tier, backend, reason, Double.NaN);
  }
}
