package dev.tiergate.metrics;

import static dev.tiergate.metrics.Scripted.MS;
import static dev.tiergate.metrics.Scripted.T0;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.stream.SseEvent;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Relaying a content chunk past the recorder allocates nothing: meters are looked up once per request. */
class NoAllocationTest {
  @Test
  void contentEventsDoNotAllocate() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Scripted s = new Scripted();
    SseEvent chunk = Scripted.content("tok");
    SseEvent reasoning = Scripted.reasoning("hmm");
    RequestRecorder warm = s.chat("fast-1");
    for (int i = 0; i < 200_000; i++) {
      warm.onEvent(i % 2 == 0 ? chunk : reasoning, T0 + i * MS);
    }
    RequestRecorder r = s.chat("fast-1");
    long tid = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 100_000; i++) {
      r.onEvent(i % 2 == 0 ? chunk : reasoning, T0 + i * MS);
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    // measured: ~50 bytes in total; the margin covers a histogram window rotation
    assertTrue(allocated < 16 * 1024, "100k events allocated " + allocated + " bytes");
  }
}
