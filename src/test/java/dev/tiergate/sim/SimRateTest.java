package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The timing model, checked with loose bounds only: timers on a shared CI box are never exact. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SimRateTest {

  @Test
  void rateFormulas() {
    assertEquals(70, RateModel.perStreamTps(70, 1, true), 1e-9);
    assertEquals(70 * 1.44 / 2, RateModel.perStreamTps(70, 2, true), 1e-9);
    double agg8 = 8 * RateModel.perStreamTps(70, 8, true);
    assertTrue(agg8 > 45 && agg8 < 60, "8-stream aggregate " + agg8 + " should sit near the seed's 54 tok/s");
    assertTrue(RateModel.aggregateFactor(2) > RateModel.aggregateFactor(3), "aggregate peaks at 2 streams");
    assertEquals(70, RateModel.perStreamTps(70, 8, false), 1e-9);
    SimOptions o = SimOptions.defaults("vllm");
    assertEquals(120 + 10000 / (2000 / 1.125) * 1000, RateModel.ttftMs(o, 10000), 1e-6);
    assertEquals(120 + 500, RateModel.ttftMs(o.withPrefillHalfRateTokens(0), 1000), 1e-6);
  }

  @Test
  void hundredTokensAtThousandPerSecond(Vertx vertx, VertxTestContext ctx) {
    SimOptions o = fast("vllm").withDecodeTps(1000).withDenseBatching(false);
    SimTesting.run(vertx, ctx, o, (sim, http) -> {
      long t0 = System.nanoTime();
      return http.post("/v1/chat/completions", chat("go", 100, true, "\"stream_options\":{}")).map(r -> {
        double s = (System.nanoTime() - t0) / 1e9;
        List<io.vertx.core.json.JsonObject> ev = r.events();
        assertEquals(100, ev.get(ev.size() - 1).getJsonObject("usage").getInteger("completion_tokens"));
        assertTrue(s > 0.05 && s < 2.0, "took " + s + " s");
        return r;
      });
    });
  }

  @Test
  void headerOverridesDecodeRate(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp").withDecodeTps(5), (sim, http) -> {
      long t0 = System.nanoTime();
      return http.post("/v1/chat/completions", chat("go", 50, false, null), "x-sim-decode-tps", "5000")
          .map(r -> {
            double s = (System.nanoTime() - t0) / 1e9;
            assertTrue(s < 2.0, "50 tokens at 5000 tok/s took " + s + " s; at 5 tok/s it would take 10 s");
            return r;
          });
    });
  }

  @Test
  void thousandConcurrentStreams(Vertx vertx, VertxTestContext ctx) {
    int n = 1000;
    // a server started with -np 1000: every stream gets a slot, so the test measures the sim's own cost
    SimOptions o = fast("llamacpp").withDecodeTps(50).withDenseBatching(false).withMaxRunning(n);
    // How fast is not asserted (the class's @Timeout bounds it): on a loaded box that would test the box.
    SimTesting.run(vertx, ctx, o, (sim, http) -> {
      long t0 = System.nanoTime();
      List<Future<SimTesting.Reply>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(http.post("/v1/chat/completions", chat("go", 20, true, null)));
      }
      return Future.all(all).map(cf -> {
        double s = (System.nanoTime() - t0) / 1e9;
        for (Future<SimTesting.Reply> f : all) {
          List<String> data = f.result().data();
          assertEquals("[DONE]", data.get(data.size() - 1));
          assertEquals(23, data.size()); // role + 20 tokens + finish + [DONE]
        }
        assertEquals(n, sim.stats().completed());
        assertEquals(0, sim.stats().activeStreams());
        return s;
      });
    });
  }
}
