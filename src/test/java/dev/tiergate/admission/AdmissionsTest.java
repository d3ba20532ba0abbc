package dev.tiergate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.routing.Candidate;
import dev.tiergate.routing.RouteDecision;
import dev.tiergate.routing.TierRouter;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.upstream.LiveAttempt;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Who starts where, decided before any byte reaches an engine: a long prompt never starts beside interactive
 * streams, nor beside an interactive prompt still prefilling or just let through, and a prompt moved to another
 * tier says so.
 */
class AdmissionsTest {
  static final GatewayConfig CONFIG = ConfigLoader.withEnv(Map.of()).parse("test", """
      health: { intervalMs: 600000 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          admission: { longPromptTokens: 10000, maxWaitMs: 60000 }
          backends: [{ name: f1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
        - name: max
          admission: { longPromptTokens: 10000, maxWaitMs: 60000 }
          backends: [{ name: m1, url: "http://127.0.0.1:2", engine: vllm, model: m }]
      """);

  final Vertx vertx = Vertx.vertx();
  final Fleet fleet = new Fleet(CONFIG, System::nanoTime);
  final Admissions admissions = new Admissions(vertx, CONFIG, fleet, new TierRouter(CONFIG));

  @AfterEach
  void close() {
    TestGateway.await(vertx.close());
  }

  static Candidate candidate(String tier) {
    TierConfig t = CONFIG.tiers().stream().filter(x -> x.name().equals(tier)).findFirst().orElseThrow();
    return new Candidate(tier, t.backends().get(0), "predicted");
  }

  static RouteDecision decision(String... tiers) {
    List<Candidate> c = java.util.Arrays.stream(tiers).map(AdmissionsTest::candidate).toList();
    return new RouteDecision(tiers[0], "predicted", c, List.of());
  }

  /** An attempt the fleet counts as an interactive prompt waiting for its first output. */
  record Prefilling(long promptTokens) implements LiveAttempt {
    @Override
    public long startedNanos() {
      return 0;
    }

    @Override
    public long lastActivityNanos() {
      return 0;
    }

    @Override
    public boolean hasOutput() {
      return false;
    }

    @Override
    public void stalled(String why) {}

    @Override
    public boolean interactive() {
      return true;
    }

    @Override
    public void admitted(long prefillAhead, int decoding) {}
  }

  @Test
  void twoInteractiveLongPromptsArrivingTogetherNeverStartOnOneBackend() {
    Admissions.Ticket first = admissions.admit(decision("fast"), 40_000, false);
    assertTrue(first.future().succeeded(), "an idle backend takes the first at once");
    Admissions.Ticket second = admissions.admit(decision("fast"), 40_000, false);
    assertFalse(second.future().isComplete(), "the second waits: the first claimed fast before the fleet counted it");
    assertEquals(1, admissions.queueLength("f1"));
    second.cancel();
    assertEquals(0, admissions.queueLength("f1"));
  }

  @Test
  void theSecondGoesToAnotherTierThatCanTakeItAndSaysWhy() {
    assertTrue(admissions.admit(decision("fast", "max"), 40_000, false).future().succeeded());
    Admissions.Ticket second = admissions.admit(decision("fast", "max"), 40_000, false);
    assertTrue(second.future().succeeded());
    Candidate served = second.future().result().decision().candidates().get(0);
    assertEquals("max", served.tier());
    assertEquals("fallback:fast-held", served.reason());
  }

  @Test
  void aLongPromptWaitsWhileAnInteractivePromptPrefillsThereAndStartsWhenItIsDone() {
    Prefilling chat = new Prefilling(300);
    var a = fleet.start("f1", chat);
    Admissions.Ticket longOne = admissions.admit(decision("fast"), 40_000, true);
    assertFalse(longOne.future().isComplete(), "the chat decodes next: a batch prefill must not start beside it");
    assertTrue(admissions.admit(decision("fast"), 500, false).future().succeeded(), "a short prompt is never held");
    fleet.finished("f1", chat, a, dev.tiergate.upstream.AttemptResult.OK);
    TestGateway.await(longOne.future());
  }

  @Test
  void batchLongPromptsDoNotClaimSoSeveralMayPrefillTogether() {
    assertTrue(admissions.admit(decision("fast"), 40_000, true).future().succeeded());
    assertTrue(admissions.admit(decision("fast"), 40_000, true).future().succeeded(),
        "nothing interactive to protect: batch prefills share the engine");
  }
}
