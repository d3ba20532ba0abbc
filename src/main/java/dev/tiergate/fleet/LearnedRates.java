package dev.tiergate.fleet;

import dev.tiergate.config.TierPolicy;
import dev.tiergate.routing.BackendRates;

/**
 * Rates learned from the gateway's own measurements of one backend, seeded from the tier's profile.
 * Each cell is an average that weighs the first samples heavily (so a wrong seed is corrected within
 * a few requests) and then moves with a fixed weight (so the cell follows the engine when its
 * conditions change). Only uncontended samples teach prefill: a prompt that waited behind others
 * measured the queue, not the engine's rate. Writes are synchronized; reads are plain volatile reads.
 */
final class LearnedRates implements BackendRates {
  /** The weight of a new sample once the cell has seen a few. */
  private static final double ALPHA = 0.2;
  /** Engines keep a dense model's aggregate decode peaking at two streams (seed rig: ≈ 104 tok/s at 2, 54 at 8). */
  private static final int[] BAND_STREAMS = {1, 2, 4, 8, 16};

  private final Cell[] prefill = new Cell[PREFILL_BANDS.length + 1];
  private final Cell[] decode = new Cell[DECODE_BANDS.length + 1];
  private final Cell base;

  LearnedRates(TierPolicy.Profile profile) {
    TierPolicy.Profile p = profile != null ? profile : new TierPolicy.Profile(null, null, null, null);
    for (int i = 0; i < prefill.length; i++) {
      long mid = i == 0 ? 512 : i < PREFILL_BANDS.length ? (PREFILL_BANDS[i - 1] + PREFILL_BANDS[i]) / 2 : 2L * PREFILL_BANDS[i - 1];
      double rate = p.prefillHalfRateTokens() > 0 ? p.prefillTps() / (1.0 + (double) mid / p.prefillHalfRateTokens()) : p.prefillTps();
      prefill[i] = new Cell(rate);
    }
    for (int i = 0; i < decode.length; i++) {
      decode[i] = new Cell(p.decodeTps() * perStream(BAND_STREAMS[i]));
    }
    base = new Cell(p.ttftBaseMs());
  }

  /** One stream's share of a dense model's aggregate decode throughput at {@code n} streams. */
  static double perStream(int n) {
    if (n <= 1) {
      return 1.0;
    }
    double aggregate = n == 2 ? 1.44 : 1.44 * Math.pow(2.0 / n, 0.48);
    return aggregate / n;
  }

  @Override
  public double prefillTps(long promptTokens) {
    return prefill[BackendRates.prefillBand(promptTokens)].value;
  }

  @Override
  public double decodeTps(int streams) {
    return decode[BackendRates.decodeBand(Math.max(1, streams))].value;
  }

  @Override
  public double baseLatencyMs() {
    return base.value;
  }

  /**
   * One finished request's measurements.
   *
   * @param uncached prompt tokens the engine had to prefill
   * @param upstreamTtftMs from writing the request to its first output
   * @param ahead prompt tokens already waiting on this backend when it was sent
   * @param decodeTps this request's decode rate, NaN when not measured
   * @param streams streams decoding on the backend when its output began (itself included)
   */
  void learn(long uncached, double upstreamTtftMs, long ahead, double decodeTps, int streams) {
    if (uncached > 0 && upstreamTtftMs > 0 && ahead * 10 <= uncached) {
      if (uncached < 256) {
        base.add(Math.max(0, upstreamTtftMs - uncached * 1000.0 / prefillTps(uncached)));
      } else {
        double prefillMs = upstreamTtftMs - baseLatencyMs();
        if (prefillMs > 0) {
          prefill[BackendRates.prefillBand(uncached)].add(uncached * 1000.0 / prefillMs);
        }
      }
    }
    if (Double.isFinite(decodeTps) && decodeTps > 0) {
      decode[BackendRates.decodeBand(Math.max(1, streams))].add(decodeTps);
    }
  }

  /** One learned number: its seed counts as one sample, so the first measurement gets half the weight. */
  private static final class Cell {
    private volatile double value;
    private int samples = 1;

    Cell(double seed) {
      this.value = seed;
    }

    synchronized void add(double x) {
      samples++;
      double w = Math.max(ALPHA, 1.0 / samples);
      value = value + w * (x - value);
    }
  }
}
