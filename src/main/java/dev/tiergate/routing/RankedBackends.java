package dev.tiergate.routing;

import dev.tiergate.config.BackendConfig;
import java.util.List;

/**
 * One tier's backends that can take the request, in rank-key order (insertion sort: a tier has a handful), with their
 * predicted TTFTs. Predicted routing fills it while it ranks the tiers and lists the candidates from it, so each
 * backend's load, rates and window are read once per decision (a real fleet builds them on every call) and both steps
 * see the same fleet.
 */
final class RankedBackends {
  private final BackendConfig[] backends;
  private final double[] ttft;
  private final double[] key;
  private int size;

  RankedBackends(int capacity) {
    backends = new BackendConfig[capacity];
    ttft = new double[capacity];
    key = new double[capacity];
  }

  void add(BackendConfig b, double ttftMs, double rankKey) {
    int j = size++;
    while (j > 0 && key[j - 1] > rankKey) {
      backends[j] = backends[j - 1];
      ttft[j] = ttft[j - 1];
      key[j] = key[j - 1];
      j--;
    }
    backends[j] = b;
    ttft[j] = ttftMs;
    key[j] = rankKey;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The lowest rank key, or infinity when no backend can take the request. */
  double best() {
    return size == 0 ? Double.POSITIVE_INFINITY : key[0];
  }

  void addTo(List<Candidate> out, String tier, String reason) {
    for (int i = 0; i < size; i++) {
      out.add(new Candidate(tier, backends[i], reason, ttft[i]));
    }
  }
}
