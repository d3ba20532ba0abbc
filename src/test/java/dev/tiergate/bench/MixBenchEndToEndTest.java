package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.app.MixRig;
import dev.tiergate.bench.MixShape.Range;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code bench mix} end to end in this process: the three shipped configurations on the demo's calibrated sims, sped
 * up (prefill 20×, decode 4×) and fed a tiny workload, so all three run in seconds. It checks the report's structure
 * and invariants, never timings or which configuration wins.
 */
@Timeout(120)
class MixBenchEndToEndTest {
  /** Every class, long prompts above the predicted configuration's 16384-token admission threshold. */
  static final MixShape TINY = new MixShape(0.8, 0.12, 0.08, new Range(50, 150), new Range(8, 24), new Range(17_000, 17_500),
      new Range(300, 600), 19_000, new Range(4, 8), 1, new Range(18_000, 19_000), new Range(2, 4), 120_000);
  static final MixPlan PLAN = new MixPlan(5, 3, 3, TINY, MixPlan.CONFIGS, 30, 8, 30_000);

  @Test
  void replaysOneWorkloadAgainstEveryConfigurationAndAccountsForEveryRequest() {
    MixRig rig = new MixRig(o -> o.withPrefillTps(o.prefillTps() * 20).withDecodeTps(o.decodeTps() * 4));
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    MixBench.Run run;
    try {
      run = MixBench.run(rig, PLAN, vertx, new PrintStream(progress, true, StandardCharsets.UTF_8));
    } finally {
      TierBench.await(vertx.close(), 10_000);
    }
    List<MixRequest> workload = PLAN.workload();
    assertEquals(MixPlan.CONFIGS, run.configs().stream().map(MixBench.ConfigResult::name).toList());
    for (MixClass c : MixClass.values()) {
      assertEquals((int) workload.stream().filter(r -> r.kind() == c).count(), run.offered().get(c));
      assertTrue(run.offered().get(c) > 0, "the workload has every class: " + run.offered());
    }
    for (MixBench.ConfigResult c : run.configs()) {
      assertNull(c.error(), c.name() + " started");
      assertEquals(workload, c.outcomes().stream().map(MixOutcome::request).toList(), c.name() + " got the same workload");
      assertEquals(List.of("fast", "max", "prefill"), c.tiers());
      c.unloaded().forEach((tier, tps) -> assertFalse(tps.isNaN(), c.name() + ": " + tier + " measured unloaded"));
      assertEquals(Set.copyOf(c.tiers()), c.gatewaySlo().keySet(), c.name() + ": the gateway's goodput counter was read");
      assertTrue(c.fallbacks() >= 0, c.name() + ": the gateway's fallback counter was read");
      for (MixOutcome o : c.outcomes()) {
        assertFalse(o.lost(), c.name() + " #" + o.request().index() + " got a status: " + o.error());
        if (o.status() == 200) {
          assertTrue(Set.of("fast", "max", "prefill").contains(o.tier()), "x-tiergate-tier on every answer: " + o.tier());
        }
      }
      invariants(c, MixSummary.of(c), workload.size());
    }
    assertEquals(List.of(), MixReport.failures(run));

    String table = MixReport.table(run);
    for (String name : MixPlan.CONFIGS) {
      assertTrue(table.contains("| " + name + " "), name + " in the table\n" + table);
    }
    JsonObject json = new JsonObject(MixReport.json(run).encode());
    assertEquals(3, json.getJsonArray("configs").size());
    assertEquals(4, json.getJsonArray("targets").size());
    String drawn = progress.toString(StandardCharsets.UTF_8);
    assertTrue(drawn.contains("predicted " + workload.size() + "/" + workload.size()), "progress reached the end:\n" + drawn);
  }

  /** Counts add up per class and in total, every class was sent, percentiles exist when a first output did, ordered. */
  static void invariants(MixBench.ConfigResult r, MixSummary s, int offered) {
    String name = r.name();
    int sent = 0;
    for (MixClass k : MixClass.values()) {
      MixSummary.ClassStats c = s.classes().get(k);
      assertNotNull(c, name + " " + k);
      assertTrue(c.sent() > 0, name + " sent " + k);
      assertEquals(c.sent(), c.ok() + c.rejected() + c.failed() + c.lost(), name + " " + k + " adds up: " + c);
      assertEquals(0, c.lost(), name + " " + k);
      sent += c.sent();
      long firstOutputs = r.outcomes().stream().filter(o -> o.kind() == k && o.status() == 200 && o.firstUs() >= 0).count();
      assertEquals(firstOutputs == 0, Double.isNaN(c.ttftP50()), name + " " + k + ": TTFT percentiles iff a first output");
      assertFalse(c.ttftP50() > c.ttftP95() || c.ttftP95() > c.ttftP99(), name + " " + k + ": " + c);
    }
    MixSummary.ClassStats chats = s.classes().get(MixClass.INTERACTIVE);
    assertTrue(chats.ok() > 0, name + ": interactive chats were answered: " + chats);
    assertTrue(chats.ttftP50() > 0 && chats.ttftP50() <= chats.ttftP95() && chats.ttftP95() <= chats.ttftP99(), name);
    MixSummary.Counts t = s.counts();
    assertEquals(offered, sent);
    assertEquals(offered, t.sent());
    assertEquals(t.sent(), t.ok() + t.rejected429() + t.rejected503() + t.failed() + t.lost(), name + ": " + t);
    int answered = s.tiers().stream().mapToInt(MixSummary.TierGoodput::answered).sum();
    assertTrue(answered >= t.ok(), name + ": every request served whole was answered by a tier");
    for (MixSummary.TierGoodput g : s.tiers()) {
      assertNotNull(g.slo(), name + ": " + g.tier() + " has its objectives from the config");
      assertTrue(g.met() <= g.answered(), name + ": " + g);
      // the gateway counts what the client saw answered, plus the unloaded-rate calls
      assertTrue(g.gatewayTotal() >= g.answered() && g.gatewayMet() <= g.gatewayTotal(), name + ": " + g);
    }
    MixSummary.DecodeStats d = s.decode();
    for (MixSummary.Rates rates : List.of(d.sameTier(), d.anyTier(), d.all())) {
      assertEquals(rates.streams() == 0, Double.isNaN(rates.minTps()), name + ": " + d);
      assertFalse(rates.minTps() > rates.p5Tps() || rates.p5Tps() > rates.p50Tps(), name + ": " + d);
    }
    assertTrue(d.sameTier().streams() <= d.anyTier().streams() && d.anyTier().streams() <= d.all().streams(), name + ": " + d);
  }
}
