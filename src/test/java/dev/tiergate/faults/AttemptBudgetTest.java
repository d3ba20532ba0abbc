package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.fleet.BackendState.Health;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.GatewayState;
import dev.tiergate.testing.JvmWarmUp;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every attempt has a deadline of its own: a stalled backend is cut at its tier's TTFT deadline and
 * charged for it, the fallback gets its tier's full deadline, and when the request's own total time
 * leaves too little, the fallback is either not tried or not blamed for running out of it.
 */
@ExtendWith(BlockedLoopGuard.class)
class AttemptBudgetTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    JvmWarmUp.once();
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withPrefillTps(1_000_000).withDecodeTps(5_000)
        .withDenseBatching(false).withContextWindow(32768);
    gw = TestGateway.builder()
        .sim("stall", sim.withFault("stall-first"))
        // A whole answer after ≈700 ms: longer than the stalled tier's 400 ms, well within its own tier's 3 s.
        .sim("answers", sim.withTtftBaseMs(700))
        .sim("late", sim.withTtftBaseMs(1))
        .sim("never", sim.withTtftBaseMs(60_000))
        .config("""
            health: { intervalMs: 600000, timeoutMs: 5000, failureThreshold: 10, cooldownMs: 60000 }
            timeouts: { connectMs: 300, ttftMs: 5000, idleMs: 1000, totalMs: 20000 }
            routing: { defaultTier: stall }
            tiers:
              - name: stall
                fallback: [answers]
                timeouts: { ttftMs: 400 }
                backends: [{ name: stall-1, url: "${SIM_STALL}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: answers
                fallback: []
                timeouts: { ttftMs: 3000 }
                backends: [{ name: answers-1, url: "${SIM_ANSWERS}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: tight
                fallback: [late]
                timeouts: { ttftMs: 600, totalMs: 1500 }
                backends: [{ name: stall-2, url: "${SIM_STALL}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: late
                fallback: []
                timeouts: { ttftMs: 1200, totalMs: 1500 }
                backends: [{ name: late-1, url: "${SIM_LATE}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: clipped
                fallback: [never]
                timeouts: { ttftMs: 600, totalMs: 2400 }
                backends: [{ name: stall-3, url: "${SIM_STALL}", engine: vllm, model: m, contextWindow: 32768 }]
              - name: never
                fallback: []
                timeouts: { ttftMs: 2000, totalMs: 2400 }
                backends: [{ name: never-1, url: "${SIM_NEVER}", engine: vllm, model: m, contextWindow: 32768 }]
            """)
        .start();
    var fleet = gw.gateway().services().fleet();
    Wire.await("the first probes finished", 15_000, () -> fleet.all().stream().allMatch(b -> b.health() == Health.READY));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @AfterEach
  void nothingInFlight() {
    Wire.awaitNothingInFlight(gw);
  }

  static String chat() {
    return "{\"model\":\"m\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static void charged(String backend, int failures, String lastError) {
    JsonObject s = GatewayState.backend(gw, backend);
    assertEquals(failures, s.getInteger("consecutiveFailures"), s.encode());
    assertEquals(lastError, s.getString("lastError"), s.encode());
    assertEquals("closed", s.getString("circuit"), s.encode());
  }

  @Test
  void aStalledCallIsCutAtItsTierDeadlineAndTheFallbackGetsItsOwnFullBudget() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat());
    assertEquals(200, r.status(), r.body());
    assertEquals("answers-1", r.header("x-tiergate-backend"), "answered after longer than the stalled tier's deadline");
    assertEquals("stall-1:timeout", r.header("x-tiergate-failed"));
    assertEquals(3, new JsonObject(r.body()).getJsonObject("usage").getInteger("completion_tokens"));
    charged("stall-1", 1, "timeout");
    charged("answers-1", 0, null);
  }

  @Test
  void withUnderASecondLeftTheFallbackIsNotTriedNorCharged() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(), "x-tiergate-tier", "tight");
    assertEquals(504, r.status(), r.body());
    assertEquals("upstream_timeout", new JsonObject(r.body()).getJsonObject("error").getString("code"));
    assertNotNull(r.header("retry-after"));
    assertEquals("stall-2:timeout", r.header("x-tiergate-failed"), "the fallback was not attempted");
    assertEquals("stall-2", r.header("x-tiergate-backend"), "the last backend tried");
    assertEquals(0, gw.sim("late").stats().requests(), "late-1 never saw the request");
    charged("stall-2", 1, "timeout");
    charged("late-1", 0, null);
  }

  @Test
  void aFallbackWhoseDeadlineTheRequestsTotalClippedIsNotBlamed() {
    TestGateway.Reply r = gw.post("/v1/chat/completions", chat(), "x-tiergate-tier", "clipped");
    assertEquals(504, r.status(), r.body());
    assertEquals("stall-3:timeout,never-1:out_of_time", r.header("x-tiergate-failed"));
    assertEquals("never-1", r.header("x-tiergate-backend"), "the last backend tried");
    String message = new JsonObject(r.body()).getJsonObject("error").getString("message");
    assertTrue(message.contains("total deadline"), message);
    assertEquals(1, gw.sim("never").stats().requests());
    charged("stall-3", 1, "timeout");
    charged("never-1", 0, null);
    assertNull(GatewayState.backend(gw, "never-1").getString("lastError"));
  }
}
