package dev.tiergate.jmh;

import dev.tiergate.routing.FleetView;
import dev.tiergate.routing.RouteDecision;
import dev.tiergate.routing.RouteInput;
import dev.tiergate.routing.TierRouter;
import java.util.OptionalInt;
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

/** The routing decision on the demo's three tiers: by rule, by default, and by client hint. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TierRouterBench {
  TierRouter router;
  FleetView fleet;
  RouteInput shortPrompt;
  RouteInput longPrompt;
  RouteInput hinted;
  int tick;

  @Setup
  public void setup() {
    router = new TierRouter(Fixtures.config());
    fleet = new FleetView() {
      @Override
      public boolean routable(String backend) {
        return true;
      }

      @Override
      public int inflight(String backend) {
        return 1;
      }

      @Override
      public OptionalInt contextWindow(String backend) {
        return backend.startsWith("fast") ? OptionalInt.of(262144) : OptionalInt.of(131072);
      }
    };
    shortPrompt = new RouteInput(120, 512, "chat", true, false, null, null, false, 0);
    longPrompt = new RouteInput(41_000, 512, "chat", true, false, null, null, false, 0);
    hinted = new RouteInput(120, 512, "chat", true, false, "max", "header", false, 0);
  }

  @Benchmark
  public RouteDecision defaultTier() {
    return router.decide(shortPrompt, fleet);
  }

  @Benchmark
  public RouteDecision longPromptRule() {
    return router.decide(longPrompt, fleet);
  }

  @Benchmark
  public RouteDecision clientHint() {
    return router.decide(hinted, fleet);
  }
}
