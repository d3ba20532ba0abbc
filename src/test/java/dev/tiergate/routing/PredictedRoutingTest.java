package dev.tiergate.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Routing modes predicted and roundRobin against a fleet whose load and rates the test sets. */
class PredictedRoutingTest {
  static GatewayConfig config(String routing, String fastExtra) {
    return ConfigLoader.withEnv(Map.of()).parse("test", """
        routing:
          defaultTier: fast
          %s
        tiers:
          - name: fast
            %s
            backends: [{ name: f1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
          - name: max
            backends: [{ name: m1, url: "http://127.0.0.1:2", engine: vllm, model: m }]
          - name: prefill
            backends: [{ name: p1, url: "http://127.0.0.1:3", engine: vllm, model: m }]
        """.formatted(routing, fastExtra));
  }

  /** Every backend at 1000 tok/s prefill and 100 ms fixed latency unless the test says otherwise. */
  static final class Fleet implements FleetView {
    final Map<String, BackendLoad> loads = new HashMap<>();
    final Map<String, Double> prefill = new HashMap<>();
    /** Tokens/s a backend's streams share (each gets its part); 50 per stream whatever the company when absent. */
    final Map<String, Double> decodeShared = new HashMap<>();

    @Override
    public boolean routable(String backend) {
      return true;
    }

    @Override
    public int inflight(String backend) {
      return 0;
    }

    @Override
    public OptionalInt contextWindow(String backend) {
      return OptionalInt.of(131072);
    }

    @Override
    public BackendLoad load(String backend) {
      return loads.getOrDefault(backend, BackendLoad.IDLE);
    }

    @Override
    public BackendRates rates(String backend) {
      double p = prefill.getOrDefault(backend, 1000.0);
      Double shared = decodeShared.get(backend);
      return new BackendRates() {
        @Override
        public double prefillTps(long promptTokens) {
          return p;
        }

        @Override
        public double decodeTps(int streams) {
          return shared == null ? 50 : shared / Math.max(1, streams);
        }

        @Override
        public double baseLatencyMs() {
          return 100;
        }
      };
    }
  }

  /**
   * The test fleet, counting what the router asks of each backend ({@code "m1.load"}); a backend in
   * {@code downAtFirstLook} is not routable the first time it is asked, and is after.
   */
  static final class Watched implements FleetView {
    final Fleet fleet = new Fleet();
    final Map<String, Integer> reads = new HashMap<>();
    final Set<String> downAtFirstLook = new HashSet<>();

    private void read(String backend, String what) {
      reads.merge(backend + "." + what, 1, Integer::sum);
    }

    @Override
    public boolean routable(String backend) {
      read(backend, "routable");
      return !downAtFirstLook.remove(backend);
    }

    @Override
    public int inflight(String backend) {
      return 0;
    }

    @Override
    public OptionalInt contextWindow(String backend) {
      read(backend, "window");
      return fleet.contextWindow(backend);
    }

    @Override
    public BackendLoad load(String backend) {
      read(backend, "load");
      return fleet.load(backend);
    }

    @Override
    public BackendRates rates(String backend) {
      read(backend, "rates");
      return fleet.rates(backend);
    }
  }

  static RouteInput input(int prompt, long maxTtftMs) {
    return new RouteInput(prompt, 100, "chat", true, false, null, null, false, 0, maxTtftMs);
  }

  @Test
  void theBackendPredictedToAnswerFirstWinsWhenNoTierIsPreferred() {
    TierRouter router = new TierRouter(config("mode: predicted", ""));
    Fleet fleet = new Fleet();
    fleet.prefill.put("p1", 4000.0);
    fleet.loads.put("f1", new BackendLoad(60_000, 1, 0, 0, -1, -1)); // fast is busy prefilling 60k tokens
    RouteDecision d = router.decide(input(20_000, -1), fleet);
    assertEquals("prefill", d.tier(), "20k tokens: 5.1 s on prefill, 20.1 s on max, 80.1 s on fast");
    assertEquals("predicted", d.reason());
    assertEquals(100 + 20_000 * 1000.0 / 4000, d.candidates().get(0).predictedTtftMs(), 1e-9);
    assertEquals(List.of("p1", "m1", "f1"), d.candidates().stream().map(c -> c.backend().name()).toList(),
        "fallbacks follow the predictions");
  }

  @Test
  void aPreferredTierWinsWhileItIsWithinTheMargin() {
    TierRouter router = new TierRouter(config("mode: predicted\n  predicted: { prefer: [max], marginRatio: 1.5, marginMs: 0 }", ""));
    Fleet fleet = new Fleet();
    fleet.prefill.put("p1", 1500.0);
    // 3000 tokens: max 3.1 s, prefill 2.1 s; 3.1 <= 1.5 × 2.1: max stays.
    assertEquals("max", router.decide(input(3000, -1), fleet).tier());
    fleet.prefill.put("p1", 3000.0);
    // prefill now 1.1 s; 3.1 > 1.65: the fastest wins.
    assertEquals("prefill", router.decide(input(3000, -1), fleet).tier());
  }

  @Test
  void aTtftObjectivePicksTheMostPreferredTierThatMeetsIt() {
    TierRouter router = new TierRouter(config("mode: predicted\n  predicted: { prefer: [max, fast, prefill] }", ""));
    Fleet fleet = new Fleet();
    fleet.prefill.put("p1", 10_000.0);
    fleet.loads.put("m1", new BackendLoad(10_000, 1, 0, 0, -1, -1));
    // 2000 tokens: max 12.1 s (busy), fast 2.1 s, prefill 0.3 s.
    assertEquals("fast", router.decide(input(2000, 2500), fleet).tier(), "fast meets 2.5 s and is preferred to prefill");
    assertEquals("prefill", router.decide(input(2000, 500), fleet).tier(), "only prefill meets 0.5 s");
    RouteDecision missed = router.decide(input(2000, 100), fleet);
    assertEquals("prefill", missed.tier(), "none meets 0.1 s: the fastest");
    assertEquals("predicted:slo-missed", missed.reason());
  }

  @Test
  void aBackendWhoseAdmissionWouldHoldTheLongPromptRanksLast() {
    TierRouter router = new TierRouter(config("mode: predicted\n  predicted: { prefer: [fast] }",
        "admission: { longPromptTokens: 10000, protectDecodes: true }"));
    Fleet fleet = new Fleet();
    fleet.prefill.put("f1", 100_000.0);
    fleet.loads.put("f1", new BackendLoad(0, 0, 1, 1, -1, -1)); // an interactive stream decodes on fast
    assertEquals("max", router.decide(input(20_000, -1), fleet).tier(), "fast is quickest but would starve its stream");
    assertEquals("fast", router.decide(input(2_000, -1), fleet).tier(), "a short prompt is not held");
    assertTrue(router.gated("fast", 20_000, fleet.load("f1")));
  }

  @Test
  void anInteractivePromptPrefillingThereHoldsALongPromptBackToo() {
    TierRouter router = new TierRouter(config("mode: predicted", "admission: { longPromptTokens: 10000, protectDecodes: true }"));
    assertTrue(router.gated("fast", 20_000, new BackendLoad(300, 1, 0, 0, -1, -1, 1)),
        "the chat prefilling now decodes next: a long prefill started after it would starve it");
    assertEquals(false, router.gated("fast", 20_000, new BackendLoad(50_000, 1, 0, 0, -1, -1, 0)),
        "a batch prompt prefilling is not protected");
    assertEquals(false, router.gated("max", 20_000, new BackendLoad(0, 0, 1, 1, -1, -1)), "max has no admission control");
  }

  @Test
  void rankedByCompletionAChatLeavesATierWhoseDecodeBatchIsLarge() {
    String fastBusy = "admission: { longPromptTokens: 10000 }";
    Fleet fleet = new Fleet();
    fleet.decodeShared.put("f1", 100.0);
    fleet.decodeShared.put("m1", 100.0);
    fleet.loads.put("f1", new BackendLoad(0, 0, 8, 8, -1, -1)); // 8 streams share fast's 100 tok/s
    // fast: first token 100 + 1.5 × 80 + 300 = 520 ms, then 99 tokens at 100/9 tok/s: ≈ 9.4 s.
    // max, idle: first token 400 ms, then 99 tokens at 100 tok/s: ≈ 1.4 s.
    TierRouter byTtft = new TierRouter(config("mode: predicted\n  predicted: { prefer: [fast] }", fastBusy));
    assertEquals("fast", byTtft.decide(input(300, -1), fleet).tier(), "520 ms is within 1.25 × 400 + 250 ms");
    TierRouter byCompletion = new TierRouter(config("mode: predicted\n  predicted: { prefer: [fast], rankBy: completion }",
        fastBusy));
    RouteDecision d = byCompletion.decide(input(300, -1), fleet);
    assertEquals("max", d.tier(), "9.4 s is far beyond 1.25 × 1.4 s + 250 ms");
    assertEquals(400, d.candidates().get(0).predictedTtftMs(), 1e-9, "the header still says the first token");
    assertEquals("fast", byCompletion.decide(input(300, 600), fleet).tier(),
        "a client TTFT objective ranks by the first token: fast meets 600 ms and is preferred");
  }

  @Test
  void whenEveryBackendWouldHoldTheLongPromptTheMarginStillComparesTheirPredictions() {
    String admission = "admission: { longPromptTokens: 10000 }";
    GatewayConfig c = ConfigLoader.withEnv(Map.of()).parse("test", """
        routing:
          defaultTier: fast
          mode: predicted
          predicted: { prefer: [fast] }
        tiers:
          - name: fast
            %1$s
            backends: [{ name: f1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
          - name: max
            %1$s
            backends: [{ name: m1, url: "http://127.0.0.1:2", engine: vllm, model: m }]
          - name: prefill
            %1$s
            backends: [{ name: p1, url: "http://127.0.0.1:3", engine: vllm, model: m }]
        """.formatted(admission));
    TierRouter router = new TierRouter(c);
    Fleet fleet = new Fleet();
    fleet.prefill.put("p1", 10_000.0);
    for (String b : List.of("f1", "m1", "p1")) {
      fleet.loads.put(b, new BackendLoad(0, 0, 1, 1, -1, -1)); // a chat decodes everywhere: the prompt waits wherever it goes
    }
    RouteDecision d = router.decide(input(20_000, -1), fleet);
    assertEquals("prefill", d.tier(), "20k tokens: prefill 2.1 s, fast 20.1 s; preferring fast must not win by a class offset");
  }

  @Test
  void eachBackendIsReadOncePerDecision() {
    TierRouter router = new TierRouter(config("mode: predicted", ""));
    Watched fleet = new Watched();
    fleet.fleet.prefill.put("p1", 4000.0);
    RouteDecision d = router.decide(input(20_000, -1), fleet);
    assertEquals(List.of("p1", "f1", "m1"), d.candidates().stream().map(c -> c.backend().name()).toList());
    for (String b : List.of("f1", "m1", "p1")) {
      for (String what : List.of("routable", "window", "load", "rates")) {
        assertEquals(1, fleet.reads.get(b + "." + what), b + " " + what + ": ranking the tiers and listing them share one read");
      }
    }
  }

  @Test
  void aBackendThatBecameRoutableAfterTheRankingIsStillACandidate() {
    TierRouter router = new TierRouter(config("mode: predicted", ""));
    Watched fleet = new Watched();
    fleet.fleet.prefill.put("p1", 4000.0);
    fleet.downAtFirstLook.add("f1");
    RouteDecision d = router.decide(input(20_000, -1), fleet);
    assertEquals(List.of("p1", "m1", "f1"), d.candidates().stream().map(c -> c.backend().name()).toList(),
        "fast ranks last, having had no prediction, and is still a candidate");
    assertEquals(100 + 20_000 * 1000.0 / 1000, d.predictedTtftMs("f1"), 1e-9, "predicted when listed");
  }

  @Test
  void roundRobinRotatesOverTheTiers() {
    TierRouter router = new TierRouter(config("mode: roundRobin", ""));
    Fleet fleet = new Fleet();
    List<String> tiers = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      tiers.add(router.decide(new RouteInput(100, 10, "chat", true, false, null, null, false, i), fleet).tier());
    }
    assertEquals(List.of("fast", "max", "prefill", "fast", "max", "prefill"), tiers);
  }
}
