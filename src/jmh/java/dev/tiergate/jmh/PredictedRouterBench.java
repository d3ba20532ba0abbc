package dev.tiergate.jmh;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.routing.BackendLoad;
import dev.tiergate.routing.BackendRates;
import dev.tiergate.routing.FleetView;
import dev.tiergate.routing.RouteDecision;
import dev.tiergate.routing.RouteInput;
import dev.tiergate.routing.TierRouter;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
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

/**
 * The predicted routing decision on 3 tiers × 4 backends, every backend loaded differently and
 * admission control on the fast tier: the budget is 20 µs at p99 (SampleTime reports it).
 * Run: {@code mvn -Pjmh test-compile exec:exec -Djmh.args="PredictedRouterBench -prof gc"}; add {@code -p view=fleet}
 * for the real fleet only.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PredictedRouterBench {
  static final String CONFIG = """
      server: { port: 0, instances: 2 }
      routing:
        mode: predicted
        defaultTier: fast
        predicted: { prefer: [max], rankBy: %s }
        rules:
          - { name: long-prompt, when: { promptTokensAtLeast: 8192 }, tier: prefill }
      tiers:
        - name: fast
          admission: { longPromptTokens: 16384 }
          profile: { prefillTps: 2500, prefillHalfRateTokens: 100000, decodeTps: 40, ttftBaseMs: 120 }
          backends:
      %s
        - name: max
          profile: { prefillTps: 2000, prefillHalfRateTokens: 100000, decodeTps: 40, ttftBaseMs: 120 }
          backends:
      %s
        - name: prefill
          profile: { prefillTps: 4000, prefillHalfRateTokens: 100000, decodeTps: 40, ttftBaseMs: 120 }
          backends:
      %s
      """;

  static String backends(String tier, int port) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 4; i++) {
      sb.append("      - { name: ").append(tier).append('-').append(i).append(", url: \"http://127.0.0.1:").append(port + i)
          .append("\", engine: vllm, model: m, contextWindow: 131072 }\n");
    }
    return sb.toString().stripTrailing();
  }

  /** What predicted routing minimises: the first token, or the whole answer (more arithmetic per backend). */
  @Param({"ttft", "completion"})
  public String rankBy;

  /**
   * What the router reads the backends through: {@code stored}, a view returning loads and rates built once (the
   * policy's own cost); {@code fleet}, the gateway's {@link Fleet} brought to the same loads (what a request pays).
   */
  @Param({"stored", "fleet"})
  public String view;

  TierRouter router;
  Object baseline = new Object();
  long seed = System.nanoTime();
  FleetView fleet;
  RouteInput chat;
  RouteInput agentTurn;
  RouteInput withObjective;

  @Setup
  public void setup() {
    GatewayConfig config = new ConfigLoader(k -> null).parse("jmh",
        CONFIG.formatted(rankBy, backends("fast", 18010), backends("max", 18020), backends("prefill", 18030)));
    router = new TierRouter(config);
    fleet = view.equals("fleet") ? LoadedFleet.of(config, PredictedRouterBench::load) : stored();
    chat = new RouteInput(300, 512, "chat", true, false, null, null, false, 0);
    agentTurn = new RouteInput(41_000, 1024, "chat", true, true, null, null, false, 0);
    withObjective = new RouteInput(2_000, 512, "chat", true, false, null, null, false, 0, 800);
    if (router.decide(chat, fleet).candidates().size() != 12) {
      throw new IllegalStateException("every backend should be a candidate: " + router.decide(chat, fleet));
    }
  }

  /** Backend number {@code n} (1-based over the tiers in order) is busy with this. */
  static BackendLoad load(int n) {
    return new BackendLoad(n * 3000L, n % 3, n % 5, n % 2, n % 5, n % 3);
  }

  private static FleetView stored() {
    Map<String, BackendLoad> loads = new HashMap<>();
    Map<String, BackendRates> rates = new HashMap<>();
    int n = 0;
    for (String t : new String[] {"fast", "max", "prefill"}) {
      for (int i = 1; i <= 4; i++) {
        n++;
        loads.put(t + "-" + i, load(n));
        double prefill = t.equals("prefill") ? 4000 : t.equals("fast") ? 2500 : 2000;
        rates.put(t + "-" + i, new Rates(prefill + n, 40 + n, 120));
      }
    }
    return new FleetView() {
      @Override
      public boolean routable(String backend) {
        return true;
      }

      @Override
      public int inflight(String backend) {
        return loads.get(backend).waiting() + loads.get(backend).decoding();
      }

      @Override
      public OptionalInt contextWindow(String backend) {
        return OptionalInt.of(131072);
      }

      @Override
      public BackendLoad load(String backend) {
        return loads.get(backend);
      }

      @Override
      public BackendRates rates(String backend) {
        return rates.get(backend);
      }
    };
  }

  record Rates(double prefill, double decode, double base) implements BackendRates {
    @Override
    public double prefillTps(long promptTokens) {
      return prefill / (1 + promptTokens / 100_000.0);
    }

    @Override
    public double decodeTps(int streams) {
      return decode / Math.max(1, streams);
    }

    @Override
    public double baseLatencyMs() {
      return base;
    }
  }

  /**
   * No work at all: the floor this machine's timer and scheduler put under every sample, so a p99 above the
   * budget can be told apart from one the decision causes.
   */
  @Benchmark
  public Object emptyBaseline() {
    return baseline;
  }

  /**
   * Arithmetic as long as a decision's median and allocating nothing: if its p99 is as far above its median as the
   * decision's, the tail comes from the machine (interrupts, a busy neighbour), not from the routing code.
   */
  @Benchmark
  public long busyBaseline() {
    long x = seed;
    for (int i = 0; i < 2500; i++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
    }
    return x;
  }

  @Benchmark
  public RouteDecision shortChat() {
    return router.decide(chat, fleet);
  }

  @Benchmark
  public RouteDecision longAgentTurn() {
    return router.decide(agentTurn, fleet);
  }

  @Benchmark
  public RouteDecision clientTtftObjective() {
    return router.decide(withObjective, fleet);
  }
}
