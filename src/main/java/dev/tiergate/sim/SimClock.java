package dev.tiergate.sim;

/** Epoch microseconds from the monotonic clock: System.currentTimeMillis is too coarse to stamp events. */
final class SimClock {
  private static final long BASE_EPOCH_MICROS = System.currentTimeMillis() * 1000L;
  private static final long BASE_NANOS = System.nanoTime();

  private SimClock() {
  }

  static long epochMicros() {
    return BASE_EPOCH_MICROS + (System.nanoTime() - BASE_NANOS) / 1000L;
  }
}
