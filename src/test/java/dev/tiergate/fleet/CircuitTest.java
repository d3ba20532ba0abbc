package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.upstream.Admission;
import dev.tiergate.upstream.AttemptResult;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The passive circuit on a manual clock: closed, open for the cool-down, then one trial at a time. */
class CircuitTest {
  static final long MS = 1_000_000L;
  static final GatewayConfig CONFIG = ConfigLoader.withEnv(Map.of()).parse("test", """
      health: { intervalMs: 600000, failureThreshold: 2, cooldownMs: 100 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: b, url: "http://127.0.0.1:1", engine: vllm, model: m }]
      """);

  final AtomicLong now = new AtomicLong(1_000 * MS);
  Fleet fleet;

  @BeforeEach
  void openTheCircuit() {
    fleet = new Fleet(CONFIG, now::get);
    for (int i = 0; i < 2; i++) {
      Admission a = fleet.start("b", null);
      assertEquals(Admission.ADMITTED, a);
      fleet.finished("b", null, a, AttemptResult.CONNECT_FAILURE);
    }
    assertEquals("open", fleet.get("b").circuit(now.get()));
    assertFalse(fleet.routable("b"));
    now.addAndGet(100 * MS);
    assertEquals("half-open", fleet.get("b").circuit(now.get()));
  }

  @Test
  void aHalfOpenCircuitAdmitsOneTrialAndRefusesTheRest() {
    assertTrue(fleet.routable("b"));
    Admission trial = fleet.start("b", null);
    assertEquals(Admission.TRIAL, trial);
    assertFalse(fleet.routable("b"), "the router skips it while the trial runs");
    assertEquals(Admission.REFUSED, fleet.start("b", null), "a request routed in the same instant is refused, not sent");
    assertEquals(1, fleet.inflight("b"), "a refused attempt is not in flight");

    fleet.proven("b", null, trial);
    assertEquals("closed", fleet.get("b").circuit(now.get()), "the trial's first output closes the circuit");
    assertEquals(Admission.ADMITTED, fleet.start("b", null));
    fleet.finished("b", null, trial, AttemptResult.OK);
  }

  @Test
  void aFailedTrialReopensTheCircuitForAnotherCoolDown() {
    Admission trial = fleet.start("b", null);
    fleet.finished("b", null, trial, AttemptResult.TIMEOUT);
    assertEquals("open", fleet.get("b").circuit(now.get()));
    now.addAndGet(100 * MS);
    assertEquals(Admission.TRIAL, fleet.start("b", null), "after the next cool-down, a new trial");
  }

  @Test
  void aCancelledTrialLetsTheNextRequestTry() {
    Admission trial = fleet.start("b", null);
    fleet.finished("b", null, trial, AttemptResult.CANCELLED);
    assertEquals("half-open", fleet.get("b").circuit(now.get()), "a client leaving says nothing about the backend");
    assertEquals(Admission.TRIAL, fleet.start("b", null));
  }

  @Test
  void streamsThatBreakAfterTheirFirstOutputStillOpenTheCircuit() {
    Fleet fresh = new Fleet(CONFIG, now::get);
    for (int i = 0; i < 2; i++) {
      Admission a = fresh.start("b", null);
      fresh.proven("b", null, a);
      fresh.finished("b", null, a, AttemptResult.SERVER_ERROR); // e.g. the connection dropped mid-stream
    }
    assertEquals("open", fresh.get("b").circuit(now.get()), "first output alone does not clear the failure count");
  }

  @Test
  void aBackendWithoutAConfiguredModelWaitsForItsFirstProbe() {
    GatewayConfig config = ConfigLoader.withEnv(Map.of()).parse("test", """
        routing: { defaultTier: fast }
        tiers:
          - name: fast
            backends:
              - { name: named, url: "http://127.0.0.1:1", engine: vllm, model: m }
              - { name: unnamed, url: "http://127.0.0.1:2", engine: vllm }
        """);
    Fleet fleet = new Fleet(config, now::get);
    assertTrue(fleet.routable("named"), "a configured name can be sent before any probe");
    assertFalse(fleet.routable("unnamed"), "the client's name would reach vLLM and get a 404");
    fleet.probed("unnamed", BackendState.Health.READY, null);
    assertFalse(fleet.routable("unnamed"), "ready, but its served name is not known yet");
    fleet.discovered("unnamed", java.util.List.of("Qwen/Qwen3-8B-AWQ"), null, 32768, null);
    assertTrue(fleet.routable("unnamed"));
    assertEquals("Qwen/Qwen3-8B-AWQ", fleet.get("unnamed").effectiveModel());
  }
}
