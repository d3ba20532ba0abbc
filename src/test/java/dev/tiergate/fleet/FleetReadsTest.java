package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.upstream.Adapters;
import dev.tiergate.upstream.Admission;
import dev.tiergate.upstream.AttemptResult;
import dev.tiergate.upstream.Support;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What routing reads of each backend on every decision, kept ready rather than worked out per call: the window, the
 * APIs served, whether a tier is live, and routable without the clock while the circuit is closed. The answers are the
 * same as working them out each time.
 */
class FleetReadsTest {
  static final long MS = 1_000_000L;
  static final GatewayConfig CONFIG = ConfigLoader.withEnv(Map.of()).parse("test", """
      health: { intervalMs: 600000, failureThreshold: 1, cooldownMs: 100 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends:
            - { name: sized, url: "http://127.0.0.1:1", engine: vllm, model: m, contextWindow: 4096 }
            - { name: bare, url: "http://127.0.0.1:2", engine: vllm, model: m }
        - name: pooling
          backends:
            - { name: embed, url: "http://127.0.0.1:3", engine: llamacpp, model: e, serves: [embeddings, rerank] }
      """);

  @Test
  void theWindowIsConfiguredElseTheLastDiscovered() {
    Fleet fleet = new Fleet(CONFIG);
    assertEquals(OptionalInt.of(4096), fleet.contextWindow("sized"));
    assertEquals(OptionalInt.empty(), fleet.contextWindow("bare"));
    assertEquals(OptionalInt.empty(), fleet.contextWindow("unknown"));
    fleet.discovered("sized", List.of("m"), null, 32768, null);
    fleet.discovered("bare", List.of("m"), null, 32768, null);
    assertEquals(OptionalInt.of(4096), fleet.contextWindow("sized"), "the configured window wins");
    assertEquals(OptionalInt.of(32768), fleet.contextWindow("bare"));
    assertSame(fleet.contextWindow("bare"), fleet.contextWindow("bare"), "kept, not built per call");
    fleet.discovered("bare", List.of("m"), null, 16384, null);
    assertEquals(OptionalInt.of(16384), fleet.contextWindow("bare"), "a restarted engine's new window replaces the old");
    fleet.discovered("bare", List.of("m"), null, null, "timeout");
    assertEquals(OptionalInt.of(16384), fleet.contextWindow("bare"), "a failed refresh keeps what was learned");
    assertEquals(16384, fleet.get("bare").discoveredWindow());
  }

  @Test
  void servesIsWhatTheAdaptersSay() {
    Fleet fleet = new Fleet(CONFIG);
    for (BackendState s : fleet.all()) {
      BackendConfig b = s.config();
      for (Api api : Api.values()) {
        assertEquals(Adapters.support(b, api) != Support.NONE, fleet.serves(b.name(), api.id()), b.name() + " " + api);
      }
    }
    assertTrue(fleet.serves("embed", "embeddings"));
    assertFalse(fleet.serves("sized", "embeddings"));
    assertTrue(fleet.serves("sized", "no-such-endpoint"), "an unknown endpoint is not the fleet's to refuse");
  }

  @Test
  void aTierIsLiveAsItsBackendsAre() {
    Fleet fleet = new Fleet(CONFIG);
    assertTrue(fleet.live("fast"));
    fleet.live("fast", false);
    assertFalse(fleet.live("fast"));
    assertTrue(fleet.live("pooling"));
    assertFalse(fleet.live("no-such-tier"));
    Fleet next = fleet.next(CONFIG);
    assertFalse(next.live("fast"), "a kept backend keeps its state");
  }

  @Test
  void routableReadsTheClockOnlyWhileTheCircuitIsNotClosed() {
    AtomicLong now = new AtomicLong(1_000 * MS);
    AtomicInteger reads = new AtomicInteger();
    Fleet fleet = new Fleet(CONFIG, () -> {
      reads.incrementAndGet();
      return now.get();
    });
    assertTrue(fleet.routable("sized"));
    assertEquals(0, reads.get(), "a closed circuit needs no time");
    Admission a = fleet.start("sized", null);
    fleet.finished("sized", null, a, AttemptResult.CONNECT_FAILURE);
    assertFalse(fleet.routable("sized"), "open for the cool-down");
    now.addAndGet(100 * MS);
    assertTrue(fleet.routable("sized"), "half-open once the cool-down is over");
    assertTrue(fleet.anyRoutable());
  }
}
