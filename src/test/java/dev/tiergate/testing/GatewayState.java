package dev.tiergate.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;

/** What the gateway says about itself: one backend of {@code /tiergate/status}, and the limit metrics. */
public final class GatewayState {
  private GatewayState() {}

  /** The backend's entry in {@code GET /tiergate/status}. */
  public static JsonObject backend(TestGateway gw, String backend) {
    TestGateway.Reply r = gw.get("/tiergate/status");
    assertEquals(200, r.status(), r.body());
    for (Object t : new JsonObject(r.body()).getJsonArray("tiers")) {
      for (Object b : ((JsonObject) t).getJsonArray("backends")) {
        if (((JsonObject) b).getString("name").equals(backend)) {
          return (JsonObject) b;
        }
      }
    }
    throw new AssertionError("no backend " + backend + " in " + r.body());
  }

  private static MeterRegistry registry(TestGateway gw) {
    return gw.gateway().services().metrics().registry();
  }

  /** {@code tiergate_limit_hits_total{limit}}. */
  public static long limitHits(TestGateway gw, String limit) {
    Counter c = registry(gw).find("tiergate_limit_hits").tag("limit", limit).counter();
    return c == null ? 0 : (long) c.count();
  }

  public static long internalErrors(TestGateway gw) {
    Counter c = registry(gw).find("tiergate_internal_errors").counter();
    return c == null ? 0 : (long) c.count();
  }

  /** A gauge without labels, e.g. {@code tiergate_buffered_bytes}. */
  public static double gauge(TestGateway gw, String name) {
    Gauge g = registry(gw).find(name).gauge();
    if (g == null) {
      throw new AssertionError("no gauge " + name);
    }
    return g.value();
  }

  /** How many samples a per-backend distribution (e.g. {@code tiergate_prefill_tokens_per_second}) holds. */
  public static long samples(TestGateway gw, String name, String backend) {
    DistributionSummary s = registry(gw).find(name).tag("backend", backend).summary();
    return s == null ? 0 : s.count();
  }
}
