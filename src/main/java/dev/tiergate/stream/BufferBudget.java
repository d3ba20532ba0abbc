package dev.tiergate.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One process-wide cap on the bytes held in memory for requests: request bodies kept for a
 * possible retry and non-streamed responses buffered for rewriting. Without it, a few dozen slow
 * clients each sending a body just under the size limit run the heap out. A reservation that
 * would pass the cap fails at once, so the caller can answer a fast 503 instead of an OOM.
 */
public final class BufferBudget {
  private final long capacity;
  private final AtomicLong used = new AtomicLong();

  public BufferBudget(long capacity) {
    this.capacity = capacity;
  }

  /** Takes {@code bytes} from the budget, or nothing when they would not fit. */
  public boolean tryReserve(long bytes) {
    long u;
    do {
      u = used.get();
      if (u + bytes > capacity) {
        return false;
      }
    } while (!used.compareAndSet(u, u + bytes));
    return true;
  }

  public void release(long bytes) {
    used.addAndGet(-bytes);
  }

  public long used() {
    return used.get();
  }

  public long capacity() {
    return capacity;
  }
}
