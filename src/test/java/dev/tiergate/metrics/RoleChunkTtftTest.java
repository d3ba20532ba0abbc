package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * TTFT counts from the first event that carries text, not from the role-only chunk before it (DESIGN.md, "TTFT").
 * The sim sends its role chunk as soon as the stream opens and the first token 300 ms later. A gateway that took
 * the role chunk for output would commit and stamp TTFT on it, a few milliseconds in (checked by making the event
 * scanner count vLLM's empty "content" as text: this test then fails at ≈ 12 ms). Events held before the commit
 * reach the recorder only when the first output is relayed, so the recorder alone cannot stamp them earlier.
 */
@ExtendWith(BlockedLoopGuard.class)
class RoleChunkTtftTest {
  static final long ROLE_DELAY_MS = 300;
  static final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withDecodeTps(2000).withTtftBaseMs(1)
        .withPrefillTps(1_000_000).withStampEvents(true).withRoleDelayMs(ROLE_DELAY_MS);
    gw = TestGateway.builder().sim("fast-1", sim).config("""
        routing: { defaultTier: fast }
        tiers:
          - name: fast
            backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
        """).start();
    // First requests load classes for hundreds of ms; keep that out of the blocked-loop guard's window.
    Wire.warmUp(gw, "fast");
    gw.gateway().services().metrics().observe(samples::add);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void ttftCountsFromTheFirstContentNotFromTheRoleChunk() throws InterruptedException {
    {
      TestGateway.Reply r = gw.post("/v1/chat/completions",
          "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertEquals(200, r.status(), r.body());

      // the premise: the stream really had a role-only chunk, sent 300 ms before the first text
      List<JsonObject> events = new ArrayList<>();
      for (String block : r.body().split("\n\n")) {
        if (block.startsWith("data: {")) {
          events.add(new JsonObject(block.substring(6)));
        }
      }
      JsonObject role = events.get(0).getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
      assertEquals("assistant", role.getString("role"));
      assertEquals("", role.getString("content"));
      long gapUs = events.get(1).getLong("sim_ts_us") - events.get(0).getLong("sim_ts_us");
      assertTrue(gapUs >= ROLE_DELAY_MS * 1000, "role chunk only " + gapUs + " us ahead of the first token");

      long deadline = System.nanoTime() + 5_000_000_000L;
      while (ours().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(1, ours().size());
      Sample s = ours().get(0);
      assertEquals(Outcome.OK, s.outcome());
      assertTrue(s.ttftNanos() >= ROLE_DELAY_MS * 1_000_000,
          "TTFT " + s.ttftNanos() / 1e6 + " ms: it was stamped before the first content");

      // every answer of this sim has the delay, warm-up included: no exported TTFT may fall below it
      String text = ((PrometheusMeterRegistry) gw.gateway().services().metrics().registry()).scrape();
      String series = "{backend=\"fast-1\",tier=\"fast\"}";
      double count = SimRatesTest.value(text, "tiergate_ttft_seconds_count" + series);
      double sum = SimRatesTest.value(text, "tiergate_ttft_seconds_sum" + series);
      assertTrue(count >= 1 && sum / count >= ROLE_DELAY_MS / 1000.0, "exported TTFT " + sum + " s over " + count);
      assertEquals(0.0, SimRatesTest.value(text,
          "tiergate_ttft_seconds_bucket{backend=\"fast-1\",tier=\"fast\",le=\"0.2\"}"), text);
    }
  }

  /** This test's request: the warm-up asks for two tokens at most. */
  private static List<Sample> ours() {
    synchronized (samples) {
      return samples.stream().filter(s -> s.completionTokens() == 3).toList();
    }
  }
}
