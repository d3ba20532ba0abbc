package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that stops reading must slow the backend down rather than make the gateway buffer the
 * stream: the pause travels gateway → upstream socket → simulator, which then stops generating.
 */
@ExtendWith(BlockedLoopGuard.class)
class SlowClientTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(20_000)
            .withDenseBatching(false).withContextWindow(4_000_000))
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            """)
        .start();
    // First requests load classes for hundreds of ms; keep that out of the blocked-loop guard's window.
    Wire.warmUp(gw, "fast");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void aStalledReaderPausesTheBackendAndMemoryStaysBounded() throws Exception {
    SimServer sim = gw.sim("fast-1");
    AtomicLong received = new AtomicLong();
    Promise<Void> first = Promise.promise();
    HttpClientResponse resp = TestGateway.await(gw.open("/v1/chat/completions",
        "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3000000,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}"));
    assertEquals(200, resp.statusCode());
    resp.handler(b -> {
      received.addAndGet(b.length());
      first.tryComplete();
      resp.pause();
    });
    TestGateway.await(first.future());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sim.stats().pausedStreams() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, sim.stats().pausedStreams(), "backpressure reached the simulator");
    long heldInGateway = gw.gateway().services().fleet().get("fast-1").inflight();
    assertEquals(1, heldInGateway);
    // The stream would be ~600 MB if generated in full at this rate over its length; the gateway's heap is capped far below
    // that in the test JVM, so a buffering relay would have failed long before this point.
    Runtime rt = Runtime.getRuntime();
    long used = rt.totalMemory() - rt.freeMemory();
    assertTrue(used < 600L * 1024 * 1024, "heap in use " + used);
    resp.request().connection().close();
    while (sim.stats().aborted() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, sim.stats().aborted());
  }
}
