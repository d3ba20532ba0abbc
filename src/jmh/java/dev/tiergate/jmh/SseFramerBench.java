package dev.tiergate.jmh;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseFramer;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Framing and classifying a realistic vLLM stream (role, 256 content chunks, usage, [DONE]); one op is
 * one event, so bytes/op from {@code -prof gc} compares directly with the ≈ 230 bytes of an event.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SseFramerBench {
  static final int TOKENS = 256;
  static final int EVENTS = TOKENS + 3;
  List<Buffer> chunks;
  Buffer coalesced;

  @Setup
  public void setup() {
    String s = Fixtures.vllmStream(TOKENS);
    chunks = Fixtures.chunks(s);
    coalesced = Buffer.buffer(s);
  }

  /** One network read per event, every fifth split across two reads. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void framePerEventReads(Blackhole bh) {
    SseFramer f = new SseFramer(1 << 20);
    for (int i = 0; i < chunks.size(); i++) {
      f.feed(chunks.get(i), (SseEvent e) -> bh.consume(e.flags()));
    }
  }

  /** The same events arriving in one large read (a backlog after a pause). */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void frameOneLargeRead(Blackhole bh) {
    SseFramer f = new SseFramer(1 << 20);
    f.feed(coalesced, (SseEvent e) -> bh.consume(e.flags()));
  }
}
