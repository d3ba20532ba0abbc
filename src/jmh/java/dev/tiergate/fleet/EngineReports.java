package dev.tiergate.fleet;

import dev.tiergate.upstream.EngineLoad;

/**
 * For the benchmarks only: the engine's own load report as the prober would have scraped it. The prober sets it
 * from an HTTP scrape of the engine's metrics, and a benchmark has no engine to scrape.
 */
public final class EngineReports {
  private EngineReports() {}

  public static void report(Fleet fleet, String backend, int running, int waiting) {
    fleet.get(backend).engineLoad(new EngineLoad(running, waiting, -1, System.nanoTime()));
  }
}
