package dev.tiergate.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A bounded reservoir of long samples (latencies in microseconds). Beyond the capacity each new sample
 * replaces a random one with the right probability, so a long run keeps a fair sample in fixed memory.
 * Not thread safe: one event loop owns it, or callers merge per-loop reservoirs.
 */
public final class Samples {
  private final long[] values;
  private final SplittableRandom random = new SplittableRandom(42);
  private long seen;

  public Samples(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be > 0");
    }
    this.values = new long[capacity];
  }

  public void add(long v) {
    if (seen < values.length) {
      values[(int) seen] = v;
    } else {
      long j = random.nextLong(seen + 1);
      if (j < values.length) {
        values[(int) j] = v;
      }
    }
    seen++;
  }

  public void addAll(Samples other) {
    for (int i = 0; i < other.size(); i++) {
      add(other.values[i]);
    }
  }

  /** Samples offered so far, kept or not. */
  public long seen() {
    return seen;
  }

  public int size() {
    return (int) Math.min(seen, values.length);
  }

  /** The p-th percentile of the kept samples, NaN when there are none. */
  public double percentile(double p) {
    int n = size();
    long[] copy = Arrays.copyOf(values, n);
    return Stats.percentile(copy, n, p);
  }
}
