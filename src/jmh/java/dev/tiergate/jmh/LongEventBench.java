package dev.tiergate.jmh;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseFramer;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One SSE event of 64 KB to 16 MB arriving in 16 KB network reads: the framing cost must be linear
 * in the event's size (the time per MB flat across the sizes), or one long line from an engine
 * can starve the event loop. Divide the score by the size in MB for the cost per MB.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LongEventBench {
  static final int READ = 16 * 1024;

  @Param({"65536", "1048576", "16777216"})
  public int eventBytes;

  List<Buffer> reads;

  @Setup
  public void setup() {
    byte[] wire = new byte[eventBytes + 8];
    byte[] head = "data: \"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(head, 0, wire, 0, head.length);
    for (int i = head.length; i < wire.length - 3; i++) {
      wire[i] = (byte) ('a' + i % 26);
    }
    wire[wire.length - 3] = '"';
    wire[wire.length - 2] = '\n';
    wire[wire.length - 1] = '\n';
    reads = new ArrayList<>();
    for (int i = 0; i < wire.length; i += READ) {
      reads.add(Buffer.buffer(java.util.Arrays.copyOfRange(wire, i, Math.min(wire.length, i + READ))));
    }
  }

  @Benchmark
  public void frameOneLongEvent(Blackhole bh) {
    SseFramer f = new SseFramer(Integer.MAX_VALUE);
    for (Buffer b : reads) {
      f.feed(b, (SseEvent e) -> bh.consume(e.data().length()));
    }
  }
}
