package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.bench.MixShape.Range;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixWorkloadTest {
  /** The full run's class mix with token sizes small enough to generate tens of thousands of requests. */
  static final MixShape SMALL = new MixShape(0.9, 0.08, 0.02, new Range(10, 20), new Range(4, 8), new Range(300, 340),
      new Range(30, 60), 600, new Range(4, 8), 2, new Range(800, 900), new Range(2, 4), 100_000);

  @Test
  void theSameSeedGivesTheSameWorkloadAndAnotherSeedAnother() {
    List<MixRequest> a = MixWorkload.generate(MixShape.quick(), 7, 60, 0.8);
    List<MixRequest> b = MixWorkload.generate(MixShape.quick(), 7, 60, 0.8);
    List<MixRequest> c = MixWorkload.generate(MixShape.quick(), 8, 60, 0.8);
    assertEquals(a, b);
    assertNotEquals(a.stream().map(MixRequest::atMs).toList(), c.stream().map(MixRequest::atMs).toList());
    assertNotEquals(a.get(0).body(), c.get(0).body());
  }

  @Test
  void requestsAreIndexedInArrivalOrderWithinTheDuration() {
    List<MixRequest> w = MixWorkload.generate(SMALL, 3, 600, 2);
    for (int i = 0; i < w.size(); i++) {
      assertEquals(i, w.get(i).index());
      assertTrue(w.get(i).atMs() >= 0 && w.get(i).atMs() < 600_000, "arrival inside the run: " + w.get(i).atMs());
      if (i > 0) {
        assertTrue(w.get(i).atMs() >= w.get(i - 1).atMs());
      }
    }
  }

  @Test
  void classesArriveInTheirShares() {
    List<MixRequest> w = MixWorkload.generate(SMALL, 5, 10_000, 2);
    Map<MixClass, Integer> n = new EnumMap<>(MixClass.class);
    w.forEach(r -> n.merge(r.kind(), 1, Integer::sum));
    // 20,000 arrivals: one standard deviation of a 90 % share is 0.2 %; the tolerance is five of them
    assertEquals(0.90, n.get(MixClass.INTERACTIVE) / (double) w.size(), 0.01);
    assertEquals(0.08, n.get(MixClass.AGENT) / (double) w.size(), 0.01);
    assertEquals(0.02, n.get(MixClass.BATCH) / (double) w.size(), 0.005);
  }

  @Test
  void arrivalsArePoissonMeanGapOneOverTheRateAndExponentialSpread() {
    List<MixRequest> w = MixWorkload.generate(SMALL, 9, 10_000, 2);
    double[] gaps = new double[w.size() - 1];
    for (int i = 1; i < w.size(); i++) {
      gaps[i - 1] = w.get(i).atMs() - w.get(i - 1).atMs();
    }
    double mean = java.util.Arrays.stream(gaps).average().orElseThrow();
    double sd = Math.sqrt(java.util.Arrays.stream(gaps).map(g -> (g - mean) * (g - mean)).sum() / gaps.length);
    assertEquals(500, mean, 500 * 0.03, "mean gap at 2 req/s");
    // an exponential's standard deviation equals its mean (a fixed-interval schedule would have none)
    assertEquals(1.0, sd / mean, 0.05, "coefficient of variation");
    long firstHalf = w.stream().filter(r -> r.atMs() < 5_000_000).count();
    assertEquals(0.5, firstHalf / (double) w.size(), 0.02, "arrivals spread evenly over the run");
  }

  @Test
  void everyClassIsPresentEvenInAShortRun() {
    for (long seed = 0; seed < 20; seed++) {
      List<MixRequest> w = MixWorkload.generate(SMALL, seed, 2, 0.5);
      for (MixClass c : MixClass.values()) {
        assertTrue(w.stream().anyMatch(r -> r.kind() == c), "seed " + seed + " has no " + c);
      }
    }
  }

  @Test
  void agentContextsGrowTurnByTurnAndResendTheHistory() {
    List<MixRequest> w = MixWorkload.generate(SMALL, 4, 3_000, 1);
    Map<Integer, List<MixRequest>> sessions = new LinkedHashMap<>();
    w.stream().filter(r -> r.kind() == MixClass.AGENT).forEach(r -> sessions.computeIfAbsent(r.session(), k -> new ArrayList<>()).add(r));
    assertTrue(sessions.size() >= 3, "conversations end at the cap and new ones open: " + sessions.size());
    assertTrue(sessions.values().stream().anyMatch(s -> s.size() >= 4), "some conversation runs several turns");
    for (List<MixRequest> turns : sessions.values()) {
      for (int i = 0; i < turns.size(); i++) {
        MixRequest t = turns.get(i);
        assertEquals(i + 1, t.turn());
        assertTrue(t.promptTokens() <= SMALL.agentMaxContext() + 50, "capped: " + t.promptTokens());
        if (i == 0) {
          assertTrue(t.promptTokens() >= 300 && t.promptTokens() <= 345, "first turn in agentStart: " + t.promptTokens());
          continue;
        }
        MixRequest prev = turns.get(i - 1);
        int grew = t.promptTokens() - prev.promptTokens();
        assertTrue(grew >= 30 - 2 && grew <= 60 + 2, "each turn adds one file of agentGrowth tokens: " + grew);
        JsonArray before = messages(prev);
        JsonArray now = messages(t);
        assertEquals(before.size() + 2, now.size(), "one tool call and its result more");
        for (int m = 1; m < before.size(); m++) {
          assertEquals(before.getValue(m), now.getValue(m), "history resent unchanged, message " + m);
        }
        assertNotEquals(before.getJsonObject(0), now.getJsonObject(0), "a fresh salt in the system message");
      }
    }
  }

  @Test
  void promptTokensAreWhatTheEnginesCountAndHeadersCarryThePriority() {
    for (MixRequest r : MixWorkload.generate(MixShape.quick(), 2, 30, 1)) {
      JsonObject body = new JsonObject(r.body());
      long chars = 0;
      for (Object m : body.getJsonArray("messages")) {
        Object content = ((JsonObject) m).getValue("content");
        chars += content instanceof String s ? s.length() : 0;
      }
      JsonArray tools = body.getJsonArray("tools");
      chars += tools == null ? 0 : tools.encode().length();
      assertEquals(Math.ceil(chars / 4.0), r.promptTokens(), 1.0, "the sims' count, #" + r.index());
      assertEquals(r.maxTokens(), body.getInteger("max_tokens"));
      assertEquals(true, body.getBoolean("stream"));
      assertEquals(r.kind() == MixClass.AGENT, tools != null, "agent turns carry tools");
      assertEquals(r.kind().priority(), r.headers().get("x-tiergate-priority"));
    }
  }

  @Test
  void theFullShapeHasTheIssuesSizesAndFitsTheSmallestWindow() {
    List<MixRequest> w = MixWorkload.generate(MixShape.full(), 11, 600, 0.3);
    for (MixRequest r : w) {
      switch (r.kind()) {
        case INTERACTIVE -> assertTrue(r.promptTokens() >= 100 && r.promptTokens() <= 810 && r.maxTokens() >= 128
            && r.maxTokens() <= 512, r.promptTokens() + "/" + r.maxTokens());
        case AGENT -> assertTrue(r.promptTokens() >= 20_000 && r.promptTokens() <= 60_500, "agent " + r.promptTokens());
        case BATCH -> assertTrue(r.promptTokens() >= 90_000 && r.promptTokens() + r.maxTokens() < 131_072 - 1_000,
            "batch " + r.promptTokens());
      }
    }
  }

  private static JsonArray messages(MixRequest r) {
    return new JsonObject(r.body()).getJsonArray("messages");
  }
}
