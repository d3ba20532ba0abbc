package dev.tiergate.jmh;

import dev.tiergate.api.Endpoint;
import dev.tiergate.api.FactsParser;
import dev.tiergate.api.RequestFacts;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Building RequestFacts in one pass from a small chat body and from a ≈ 200k-token conversation. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FactsParserBench {
  FactsParser parser;
  Buffer small;
  Buffer large;

  @Setup
  public void setup() {
    parser = new FactsParser(4.0);
    small = Fixtures.chatBody(60);
    large = Fixtures.chatBody(200_000);
  }

  @Benchmark
  public RequestFacts smallBody() {
    return parser.parse(Endpoint.CHAT, small);
  }

  @Benchmark
  public RequestFacts large200kTokens() {
    return parser.parse(Endpoint.CHAT, large);
  }
}
