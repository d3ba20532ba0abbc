package dev.tiergate.sim;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/**
 * The engine-wide state every request shares. Confined to the sim's event loop (plain fields, no locks);
 * only {@link SimStats} is read from other threads.
 */
final class SimCore {
  final Vertx vertx;
  final SimOptions options;
  final Engine engine;
  final SimStats stats = new SimStats();
  private final long loadingUntilNanos;

  private final Set<Generation> live = new HashSet<>();
  int prefilling;
  int decoding;
  long promptTokensTotal;
  long generationTokensTotal;
  long successTotal;
  double ttftSecondsSum;
  long ttftCount;
  double prefillSecondsSum;
  double decodeSecondsSum;

  SimCore(Vertx vertx, SimOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.engine = options.engineKind();
    this.loadingUntilNanos = System.nanoTime() + (long) (options.loadingSeconds() * 1e9);
  }

  boolean loading() {
    return System.nanoTime() < loadingUntilNanos;
  }

  long loadingRemainingMs() {
    long ns = loadingUntilNanos - System.nanoTime();
    return ns <= 0 ? 0 : Math.max(1, (ns + 999_999) / 1_000_000);
  }

  void register(Generation g) {
    live.add(g);
  }

  void unregister(Generation g) {
    live.remove(g);
  }

  int liveCount() {
    return live.size();
  }

  /** KV cache occupancy for the metrics: prompt plus tokens generated so far, over every live request. */
  long kvTokens() {
    long sum = 0;
    for (Generation g : live) {
      sum += g.contextTokens();
    }
    return sum;
  }

  /** Server shutdown: stop every timer without counting the ends as client aborts. */
  void shutdownAll() {
    for (Generation g : new ArrayList<>(live)) {
      g.shutdown();
    }
  }
}
