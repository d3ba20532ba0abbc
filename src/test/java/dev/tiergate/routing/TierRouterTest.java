package dev.tiergate.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class TierRouterTest {
  static final GatewayConfig CONFIG = ConfigLoader.withEnv(Map.of()).parse("test", """
      routing:
        defaultTier: fast
        rules:
          - { name: long-prompt, when: { promptTokensAtLeast: 8192 }, tier: prefill }
          - { name: big-output, when: { maxTokensAtLeast: 4000, endpoint: chat }, tier: max }
      tiers:
        - name: fast
          fallback: [max, prefill]
          backends:
            - { name: fast-1, url: "http://h:1", engine: vllm, model: m, contextWindow: 262144 }
            - { name: fast-2, url: "http://h:2", engine: vllm, model: m, contextWindow: 262144 }
        - name: max
          fallback: [fast]
          backends: [{ name: max-1, url: "http://h:3", engine: vllm, model: m, contextWindow: 131072 }]
        - name: prefill
          fallback: [max, fast]
          backends: [{ name: prefill-1, url: "http://h:4", engine: sglang, model: m, contextWindow: 131072 }]
      """);

  /** A fleet snapshot for tests: everything up and idle unless said otherwise. */
  static final class FakeFleet implements FleetView {
    final Set<String> down = new HashSet<>();
    final Set<String> busy = new HashSet<>();
    final Map<String, Integer> inflight = new HashMap<>();

    FakeFleet down(String... names) {
      down.addAll(List.of(names));
      return this;
    }

    @Override
    public boolean routable(String backend) {
      return !down.contains(backend) && !busy.contains(backend);
    }

    @Override
    public boolean busy(String backend) {
      return busy.contains(backend);
    }

    @Override
    public int inflight(String backend) {
      return inflight.getOrDefault(backend, 0);
    }

    @Override
    public OptionalInt contextWindow(String backend) {
      return CONFIG.tiers().stream().flatMap(t -> t.backends().stream()).filter(b -> b.name().equals(backend))
          .findFirst().map(b -> OptionalInt.of(b.contextWindow())).orElse(OptionalInt.empty());
    }
  }

  final TierRouter router = new TierRouter(CONFIG);

  static RouteInput in(int prompt, int max, String hint, String source, boolean strict) {
    return new RouteInput(prompt, max, "chat", true, false, hint, source, strict, 0);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // prompt, max_tokens, hint, strict, down backends, expected tier, expected reason
        Arguments.of(100, -1, null, false, List.of(), "fast", "default"),
        Arguments.of(8191, -1, null, false, List.of(), "fast", "default"),
        Arguments.of(8192, -1, null, false, List.of(), "prefill", "rule:long-prompt"),
        Arguments.of(20000, 256, null, false, List.of(), "prefill", "rule:long-prompt"),
        Arguments.of(100, 5000, null, false, List.of(), "max", "rule:big-output"),
        Arguments.of(100, -1, "max", false, List.of(), "max", "hint:header"),
        Arguments.of(20000, -1, "fast", false, List.of(), "fast", "hint:header"),
        Arguments.of(20000, -1, null, false, List.of("prefill-1"), "max", "fallback:prefill-down"),
        Arguments.of(20000, -1, null, false, List.of("prefill-1", "max-1"), "fast", "fallback:prefill-down"),
        Arguments.of(100, -1, null, false, List.of("fast-1", "fast-2"), "max", "fallback:fast-down"),
        // 200k tokens only fit the fast tier's 262k window
        Arguments.of(200000, 1000, null, false, List.of(), "fast", "fallback:prefill-context"),
        Arguments.of(130000, 2000, "max", false, List.of(), "fast", "fallback:max-context"));
  }

  @ParameterizedTest
  @MethodSource("table")
  void routesByLengthHintsHealthAndContext(int prompt, int max, String hint, boolean strict, List<String> down,
      String tier, String reason) {
    RouteDecision d = router.decide(in(prompt, max, hint, hint == null ? null : "header", strict),
        new FakeFleet().down(down.toArray(String[]::new)));
    assertEquals(tier, d.candidates().get(0).tier());
    assertEquals(reason, d.candidates().get(0).reason());
  }

  @Test
  void candidatesFollowTheFallbackOrder() {
    RouteDecision d = router.decide(in(20000, -1, null, null, false), new FakeFleet());
    assertEquals(List.of("prefill-1", "max-1", "fast-1", "fast-2"),
        d.candidates().stream().map(c -> c.backend().name()).toList());
    assertEquals("fallback:prefill-failed", d.candidates().get(1).reason());
  }

  @Test
  void strictHintNeverLeavesTheTier() {
    RouteDecision d = router.decide(in(100, -1, "max", "header", true), new FakeFleet());
    assertEquals(List.of("max"), d.candidates().stream().map(Candidate::tier).distinct().toList());
    GatewayError e = assertThrows(GatewayError.class,
        () -> router.decide(in(100, -1, "max", "header", true), new FakeFleet().down("max-1")));
    assertEquals(Kind.NO_BACKEND_AVAILABLE, e.kind());
    assertEquals(503, e.status());
  }

  @Test
  void strictHintThatCannotHoldThePromptIsAContextError() {
    GatewayError e = assertThrows(GatewayError.class,
        () -> router.decide(in(140000, 100, "prefill", "header", true), new FakeFleet()));
    assertEquals(Kind.CONTEXT_LENGTH_EXCEEDED, e.kind());
    assertEquals("context_length_exceeded", e.code());
  }

  @Test
  void nothingFitsIsContextLengthExceeded() {
    GatewayError e = assertThrows(GatewayError.class, () -> router.decide(in(262000, 1000, null, null, false), new FakeFleet()));
    assertEquals(Kind.CONTEXT_LENGTH_EXCEEDED, e.kind());
    assertEquals(400, e.status());
  }

  @Test
  void everythingDownIsServiceUnavailable() {
    GatewayError e = assertThrows(GatewayError.class, () -> router.decide(in(10, -1, null, null, false),
        new FakeFleet().down("fast-1", "fast-2", "max-1", "prefill-1")));
    assertEquals(Kind.NO_BACKEND_AVAILABLE, e.kind());
  }

  @Test
  void unknownHintNamesTheAllowedValues() {
    GatewayError e = assertThrows(GatewayError.class, () -> router.decide(in(10, -1, "turbo", "header", false), new FakeFleet()));
    assertEquals(400, e.status());
    assertEquals("unknown tier 'turbo'; allowed values: fast, max, prefill, auto", e.getMessage());
  }

  @Test
  void modelAliasHintCarriesItsSource() {
    RouteDecision d = router.decide(in(10, -1, "max", "model", false), new FakeFleet());
    assertEquals("hint:model", d.candidates().get(0).reason());
  }

  @Test
  void replicasAreBalancedByFewestInflight() {
    FakeFleet fleet = new FakeFleet();
    fleet.inflight.put("fast-1", 3);
    fleet.inflight.put("fast-2", 1);
    assertEquals("fast-2", router.decide(in(10, -1, null, null, false), fleet).candidates().get(0).backend().name());
    fleet.inflight.put("fast-2", 5);
    assertEquals("fast-1", router.decide(in(10, -1, null, null, false), fleet).candidates().get(0).backend().name());
  }

  @Test
  void equallyLoadedReplicasTakeTurns() {
    Set<String> firsts = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      RouteInput r = new RouteInput(10, -1, "chat", false, false, null, null, false, i);
      firsts.add(router.decide(r, new FakeFleet()).candidates().get(0).backend().name());
    }
    assertEquals(Set.of("fast-1", "fast-2"), firsts);
  }

  @Test
  void theDemoConfigRoutesAsTheReadmeSays() {
    GatewayConfig demo = ConfigLoader.withEnv(Map.of()).loadResource(ConfigLoader.DEMO_RESOURCE);
    TierRouter r = new TierRouter(demo);
    FleetView all = new FleetView() {
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
        return demo.tiers().stream().flatMap(t -> t.backends().stream()).filter(b -> b.name().equals(backend))
            .findFirst().map(b -> OptionalInt.of(b.contextWindow())).orElseThrow();
      }
    };
    assertEquals("prefill", r.decide(in(20000, -1, null, null, false), all).candidates().get(0).tier());
    assertEquals("fast", r.decide(in(10, -1, null, null, false), all).candidates().get(0).tier());
    assertEquals("max", r.decide(in(10, -1, "max", "header", false), all).candidates().get(0).tier());
    assertEquals("fast", r.decide(in(200000, -1, null, null, false), all).candidates().get(0).tier(),
        "only the INT4 tier's window holds 200k tokens");
  }

  @Test
  void aFullTierSpillsOverAndSaysWhy() {
    FakeFleet fleet = new FakeFleet();
    fleet.busy.add("prefill-1");
    RouteDecision d = router.decide(in(20000, -1, null, null, false), fleet);
    assertEquals("max", d.candidates().get(0).tier());
    assertEquals("fallback:prefill-busy", d.candidates().get(0).reason());
    fleet.busy.addAll(List.of("max-1", "fast-1", "fast-2"));
    GatewayError e = assertThrows(GatewayError.class, () -> router.decide(in(20000, -1, null, null, false), fleet));
    assertEquals(503, e.status(), "a full fleet is a retryable 503, not a context error");
  }

  /** A fleet where only the named backends serve anything beyond chat and completions. */
  static final class PoolingFleet implements FleetView {
    final FakeFleet fleet = new FakeFleet();
    final Set<String> pooling;

    PoolingFleet(String... pooling) {
      this.pooling = Set.of(pooling);
    }

    @Override
    public boolean serves(String backend, String endpoint) {
      return endpoint.equals("chat") || endpoint.equals("completions") || pooling.contains(backend);
    }

    @Override
    public boolean routable(String backend) {
      return fleet.routable(backend);
    }

    @Override
    public int inflight(String backend) {
      return 0;
    }

    @Override
    public OptionalInt contextWindow(String backend) {
      return fleet.contextWindow(backend);
    }
  }

  static RouteInput endpoint(String endpoint, int prompt, String hint, boolean strict) {
    return new RouteInput(prompt, -1, endpoint, false, false, hint, hint == null ? null : "header", strict, 0);
  }

  @Test
  void aTierThatCannotServeTheEndpointIsSkippedAndSaysSo() {
    RouteDecision d = router.decide(endpoint("embeddings", 10, null, false), new PoolingFleet("max-1"));
    assertEquals("max", d.candidates().get(0).tier());
    assertEquals("fallback:fast-unsupported", d.candidates().get(0).reason());
    assertEquals(List.of("fast:unsupported"), d.skipped().subList(0, 1));
    assertEquals(1, d.candidates().size(), "prefill serves no embeddings either");
  }

  @Test
  void noTierServingTheEndpointIsA404NamingIt() {
    GatewayError e = assertThrows(GatewayError.class, () -> router.decide(endpoint("rerank", 10, null, false), new PoolingFleet()));
    assertEquals(GatewayError.Kind.UNSUPPORTED_ENDPOINT, e.kind());
    assertEquals(404, e.status());
    assertEquals("No tier that may serve this request serves /v1/rerank (tiers: fast, max, prefill). "
        + "A backend that does declares it with serves: [rerank].", e.getMessage());
    GatewayError strict = assertThrows(GatewayError.class,
        () -> router.decide(endpoint("embeddings", 10, "fast", true), new PoolingFleet("max-1")));
    assertTrue(strict.getMessage().contains("(tiers: fast)"), strict.getMessage());
  }

  @Test
  void theTokenCountersFitAnyWindowAndEmbeddingsNeedNoOutputRoom() {
    RouteDecision count = router.decide(endpoint("messages_count_tokens", 500_000, "max", true), new PoolingFleet("max-1"));
    assertEquals("max", count.candidates().get(0).tier(), "counting a prompt longer than the window is the point");
    assertEquals(131072, router.need(endpoint("embeddings", 131072, null, false)), "input only, no output reserve");
    assertEquals(0, router.need(endpoint("responses_input_tokens", 999, null, false)));
    assertEquals(999 + 256, router.need(endpoint("messages", 999, null, false)), "generation keeps its output room");
  }
}
