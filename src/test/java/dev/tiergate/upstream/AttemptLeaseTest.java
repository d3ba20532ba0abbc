package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.fleet.Fleet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A lease reports its attempt once, and a trial that proved the backend stops being the trial. */
class AttemptLeaseTest {
  static final long MS = 1_000_000L;
  static final GatewayConfig CONFIG = ConfigLoader.withEnv(Map.of()).parse("test", """
      health: { intervalMs: 600000, failureThreshold: 1, cooldownMs: 100 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: b, url: "http://127.0.0.1:1", engine: vllm, model: m }]
      """);

  final AtomicLong now = new AtomicLong(1_000 * MS);
  final Fleet fleet = new Fleet(CONFIG, now::get);

  private void openThenHalfOpen() {
    new AttemptLease(fleet, "b", null).finish(AttemptResult.CONNECT_FAILURE);
    assertEquals("open", fleet.get("b").circuit(now.get()));
    now.addAndGet(100 * MS);
  }

  @Test
  void aLongTrialThatProvedTheBackendDoesNotReleaseALaterTrial() {
    openThenHalfOpen();
    AttemptLease longStream = new AttemptLease(fleet, "b", null);
    longStream.proven();
    assertEquals("closed", fleet.get("b").circuit(now.get()));

    // While that stream runs for minutes, the backend fails again and a new trial starts.
    openThenHalfOpen();
    AttemptLease secondTrial = new AttemptLease(fleet, "b", null);
    assertFalse(secondTrial.refused());
    longStream.finish(AttemptResult.CANCELLED);
    assertTrue(new AttemptLease(fleet, "b", null).refused(), "still one trial at a time");
    secondTrial.finish(AttemptResult.CANCELLED);
    assertFalse(new AttemptLease(fleet, "b", null).refused());
  }

  @Test
  void eachAdmittedAttemptIsCountedOnceAndARefusedOneNever() {
    AttemptLease a = new AttemptLease(fleet, "b", null);
    assertEquals(1, fleet.inflight("b"));
    a.finish(AttemptResult.OK);
    a.finish(AttemptResult.SERVER_ERROR);
    assertEquals(0, fleet.inflight("b"));
    assertEquals(0, fleet.get("b").consecutiveFailures(), "the second finish was ignored");

    openThenHalfOpen();
    AttemptLease trial = new AttemptLease(fleet, "b", null);
    AttemptLease refused = new AttemptLease(fleet, "b", null);
    assertTrue(refused.refused());
    refused.finish(AttemptResult.SERVER_ERROR);
    assertEquals(1, fleet.inflight("b"), "only the trial is in flight");
    assertEquals("half-open", fleet.get("b").circuit(now.get()), "a refused attempt reports nothing");
    trial.finish(AttemptResult.OK);
    assertEquals("closed", fleet.get("b").circuit(now.get()));
  }
}
