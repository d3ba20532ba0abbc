package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentRequestsTest {
  final AtomicLong now = new AtomicLong(1_000_000);
  final RecentRequests ring = new RecentRequests(List.of("fast", "max"), 1024, now::get);

  @Test
  void percentilesAreNearestRankOverTheWindowOnly() {
    // older than five minutes: must not count
    ring.add(now.get() - 300_001, 0, true, 10_000, 1, 1);
    // 100 requests on fast with TTFT 1..100 ms, within the window
    for (int i = 1; i <= 100; i++) {
      ring.add(now.get() - 60_000 + i, 0, true, i, 50f + i, 1000f);
    }
    now.addAndGet(1_000);
    JsonObject fast = tier(ring.window(300_000, 10_000), 0);
    assertEquals(100, fast.getInteger("requests"));
    assertEquals(50.0, fast.getDouble("ttftP50Ms"));
    assertEquals(95.0, fast.getDouble("ttftP95Ms"));
    assertEquals(100.0, fast.getDouble("decodeTps"));
    assertEquals(1000.0, fast.getDouble("prefillTps"));
    assertEquals(0, fast.getInteger("errors"));
    JsonObject max = tier(ring.window(300_000, 10_000), 1);
    assertEquals(0, max.getInteger("requests"));
    assertNull(max.getValue("ttftP50Ms"));
  }

  @Test
  void failuresCountAsRequestsAndErrorsButHaveNoTtft() {
    ring.add(now.get() - 1_000, 1, true, 200, Float.NaN, Float.NaN);
    ring.add(now.get() - 1_000, 1, false, Float.NaN, Float.NaN, Float.NaN);
    JsonObject max = tier(ring.window(300_000, 10_000), 1);
    assertEquals(2, max.getInteger("requests"));
    assertEquals(1, max.getInteger("errors"));
    assertEquals(200.0, max.getDouble("ttftP50Ms"));
    assertNull(max.getValue("decodeTps"));
  }

  @Test
  void bucketsAreOldestFirstAndRatesAreOverWhatWasSeen() {
    now.addAndGet(600_000); // the ring has existed for ten minutes
    ring.add(now.get() - 295_000, 0, true, 10, Float.NaN, Float.NaN);
    for (int i = 0; i < 20; i++) {
      ring.add(now.get() - 5_000, 0, true, 30, Float.NaN, Float.NaN);
    }
    JsonObject w = ring.window(300_000, 10_000);
    JsonObject series = tier(w, 0).getJsonObject("series");
    JsonArray requests = series.getJsonArray("requests");
    assertEquals(30, requests.size());
    assertEquals(1, requests.getInteger(0));
    assertEquals(20, requests.getInteger(29));
    assertEquals(2.0, series.getJsonArray("ratePerS").getDouble(29));
    assertNull(series.getJsonArray("ttftP50").getValue(15), "an empty bucket is a gap, not a zero");
    assertEquals(0.0, series.getJsonArray("ratePerS").getDouble(15), "no requests in a bucket that was watched is a rate of 0");
    assertEquals(0.07, tier(w, 0).getDouble("ratePerS")); // 21 requests over 300 s
    assertFalse(w.getBoolean("truncated"));
  }

  @Test
  void aYoungGatewayRatesOverItsLifeNotTheWholeWindow() {
    now.addAndGet(10_000);
    for (int i = 0; i < 10; i++) {
      ring.add(now.get() - 1_000, 0, true, 5, Float.NaN, Float.NaN);
    }
    assertEquals(1.0, tier(ring.window(300_000, 10_000), 0).getDouble("ratePerS"));
  }

  @Test
  void anOverrunRingSaysSoAndCoversOnlyWhatItKept() {
    RecentRequests small = new RecentRequests(List.of("fast"), 1000, now::get);
    assertEquals(1024, small.capacity());
    now.addAndGet(600_000);
    for (int i = 0; i < 3000; i++) {
      small.add(now.get() - 3000 + i, 0, true, i, Float.NaN, Float.NaN);
    }
    JsonObject w = small.window(300_000, 10_000);
    assertTrue(w.getBoolean("truncated"));
    assertEquals(1024, tier(w, 0).getInteger("requests"));
    assertEquals(1024, w.getLong("coveredMs"), "from the oldest request kept");
    // the newest 1024 TTFTs are 1976..2999
    assertEquals(1976.0 + 511, tier(w, 0).getDouble("ttftP50Ms"));
  }

  @Test
  void requestsOfNoConfiguredTierAreNotKept() {
    ring.add(sample("none"));
    ring.add(sample("fast"));
    JsonObject w = ring.window(300_000, 10_000);
    assertEquals(1, tier(w, 0).getInteger("requests"));
    assertEquals(12.0, tier(w, 0).getDouble("ttftP50Ms"));
  }

  private static Sample sample(String tier) {
    return new Sample("chat", tier, tier + "-1", Outcome.OK, 50_000_000, 1_000_000, 12_000_000, 11_000_000, 12_000_000, 5, 100,
        0, 5, false, 80, Double.NaN, Double.NaN, Double.NaN, 0, 0, Double.NaN, false, -1);
  }

  private static JsonObject tier(JsonObject window, int i) {
    return window.getJsonArray("tiers").getJsonObject(i);
  }
}
