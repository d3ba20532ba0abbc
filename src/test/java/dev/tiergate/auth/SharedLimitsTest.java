package dev.tiergate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.KeyConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.RedisServer;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.TestGateway.Reply;
import dev.tiergate.testing.Wire;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two gateway replicas and one real {@code redis-server}: one RPM limit held by both together,
 * one concurrency limit across both, and an outage (Redis killed, then started again) that each
 * fail mode rides out without a crash, with limits shared again once Redis is back. A third
 * gateway on the same Redis runs with {@code failMode: closed}.
 *
 * <p>Tolerance: a token bucket refills while the test runs (rpm/60 requests a second), so a burst
 * of N requests against {@code rpm: R} may see R plus what refilled during the burst, and never
 * less than R: the assertions allow exactly that, computed from the measured elapsed time.
 */
@ExtendWith(BlockedLoopGuard.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedLimitsTest {
  static final String SHARED = "shared-key-0123456789abcdef";
  static final String AGAIN = "again-key-0123456789abcdef0";
  static final String CONC = "conc-key-0123456789abcdef01";
  static final String DOWN = "down-key-0123456789abcdef01";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static final List<String> LOG = new ArrayList<>();
  /** Held strongly: JUL keeps loggers weakly, and a collected one would take the handler with it. */
  static final Logger AUTH_LOG = Logger.getLogger("dev.tiergate.auth");

  static RedisServer redis;
  static TestGateway a;
  static TestGateway b;
  static TestGateway closed;

  static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (LOG) {
        LOG.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  static TestGateway gateway(String failMode) {
    return TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false))
        .env("REDIS", redis.url()).env("SHARED", SHARED).env("AGAIN", AGAIN).env("CONC", CONC).env("DOWN", DOWN)
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            auth:
              keys:
                - { name: shared, key: "${SHARED}", rpm: 20 }
                - { name: again, key: "${AGAIN}", rpm: 10 }
                - { name: conc, key: "${CONC}", maxConcurrent: 1 }
                - { name: down, key: "${DOWN}", rpm: 5 }
              limits: { store: redis, redis: "${REDIS}", failMode: %s, timeoutMs: 1000 }
            """.formatted(failMode))
        .start();
  }

  @BeforeAll
  static void start() {
    AUTH_LOG.addHandler(CAPTURE);
    redis = RedisServer.start();
    a = gateway("open");
    b = gateway("open");
    closed = gateway("closed");
    for (TestGateway g : List.of(a, b, closed)) {
      // Loads the request path and the Redis client before the blocked-loop guard watches.
      g.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + CONC);
      g.post("/v1/chat/completions", CHAT);
      Wire.Reader r = Wire.Reader.open(g, "/v1/chat/completions", CHAT.replace("\"max_tokens\":2", "\"stream\":true,\"max_tokens\":50"),
          "authorization", "Bearer " + CONC, "x-sim-decode-tps", "50");
      r.awaitText("content", 5_000);
      r.closeConnection();
      Wire.await("the warm-up stream is gone", 5_000, () -> ":0".equals(redis.command("ZCARD tiergate:{" + KeyConfig.hex(CONC) + "}:c")));
    }
  }

  @AfterAll
  static void stop() {
    AUTH_LOG.removeHandler(CAPTURE);
    for (TestGateway g : new TestGateway[] {a, b, closed}) {
      if (g != null) {
        g.close();
      }
    }
    redis.close();
  }

  static Reply chat(TestGateway g, String key) {
    return g.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key);
  }

  /** Alternates between the two replicas; returns how many requests each admitted. */
  static int[] burst(String key, int n) {
    int[] ok = new int[2];
    for (int i = 0; i < n; i++) {
      Reply r = chat(i % 2 == 0 ? a : b, key);
      assertTrue(r.status() == 200 || r.status() == 429, r.status() + " " + r.body());
      if (r.status() == 200) {
        ok[i % 2]++;
      }
    }
    return ok;
  }

  static double storeUp(TestGateway g) {
    Gauge up = g.gateway().services().metrics().registry().find("tiergate_limit_store_up").gauge();
    return up == null ? -1 : up.value();
  }

  @Test
  @Order(1)
  void twoReplicasEnforceOneRpmLimitTogether() {
    synchronized (LOG) {
      assertTrue(LOG.stream().noneMatch(m -> m.contains("unreachable")),
          "each replica opened its Redis connection before listening, so no first request hit the fail mode: " + LOG);
    }
    long t0 = System.nanoTime();
    int[] ok = burst(SHARED, 40);
    double seconds = (System.nanoTime() - t0) / 1e9;
    int total = ok[0] + ok[1];
    int refilled = (int) Math.ceil(seconds * 20 / 60);
    assertTrue(total >= 20 && total <= 20 + refilled, total + " admitted in " + seconds + " s; rpm 20 allows 20 + "
        + refilled + " refilled (per-replica limits would admit 40)");
    assertTrue(ok[0] > 0 && ok[1] > 0, "both replicas admitted some: " + ok[0] + "/" + ok[1]);
    String keys = redis.keys();
    assertTrue(keys.contains("tiergate:{" + KeyConfig.hex(SHARED) + "}:b"), keys);
    assertFalse(keys.contains(SHARED), "the key itself never reaches Redis");
  }

  @Test
  @Order(2)
  void concurrencyIsSharedAcrossReplicasAndGivenBack() {
    String slow = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":400,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    Wire.Reader held = Wire.Reader.open(a, "/v1/chat/completions", slow, "authorization", "Bearer " + CONC, "x-sim-decode-tps", "20");
    held.awaitText("content", 5_000);
    Reply other = chat(b, CONC);
    assertEquals(429, other.status(), other.body());
    assertTrue(other.body().contains("maxConcurrent"), other.body());
    held.closeConnection();
    String leases = "tiergate:{" + KeyConfig.hex(CONC) + "}:c";
    Wire.await("the lease is given back in Redis", 5_000, () -> ":0".equals(redis.command("ZCARD " + leases)));
    assertEquals(200, chat(b, CONC).status());
    Wire.await("and again", 5_000, () -> ":0".equals(redis.command("ZCARD " + leases)));
  }

  @Test
  @Order(3)
  void redisKilledMidTestThenBack() {
    synchronized (LOG) {
      LOG.clear();
    }
    redis.kill();
    // failMode open: each replica counts alone, so each admits the whole rpm of 5.
    for (TestGateway g : List.of(a, b)) {
      int ok = 0;
      for (int i = 0; i < 8; i++) {
        Reply r = chat(g, DOWN);
        assertTrue(r.status() == 200 || r.status() == 429, r.status() + " " + r.body());
        ok += r.status() == 200 ? 1 : 0;
      }
      assertEquals(5, ok, "per-replica limits while Redis is down");
      assertEquals(0.0, storeUp(g));
      assertTrue(g.gateway().services().metrics().registry().find("tiergate_limit_store_unavailable").tag("mode", "open")
          .counter().count() >= 8);
    }
    Reply refused = chat(closed, DOWN);
    assertEquals(503, refused.status(), refused.body());
    assertEquals("rate_limit_store_unavailable", new JsonObject(refused.body()).getJsonObject("error").getString("code"));
    assertEquals("1", refused.header("retry-after"));
    assertEquals(200, closed.get("/health").status(), "the closed replica is alive and answers");

    redis.startAgain();
    for (TestGateway g : List.of(a, b, closed)) {
      Wire.await("the replica uses Redis again", 10_000, () -> g.gateway().services().limits().sharedUp());
      assertEquals(1.0, storeUp(g));
    }
    assertEquals(200, chat(closed, AGAIN).status());
    long t0 = System.nanoTime();
    int[] ok = burst(AGAIN, 20);
    double seconds = (System.nanoTime() - t0) / 1e9;
    int refilled = (int) Math.ceil(seconds * 10 / 60);
    int total = ok[0] + ok[1];
    assertTrue(total >= 9 && total <= 9 + refilled, "shared again: " + total + " admitted of rpm 10 (one went to the closed"
        + " replica) in " + seconds + " s");
    synchronized (LOG) {
      assertEquals(3, LOG.stream().filter(m -> m.contains("unreachable")).count(), "one line per replica going down: " + LOG);
      assertEquals(3, LOG.stream().filter(m -> m.contains("reachable again")).count(), "one line per replica coming back: " + LOG);
    }
  }

  @Test
  @Order(4)
  void aReplicaStartsWhileRedisIsDownAndCountsAlone() {
    try (dev.tiergate.testing.DeadPort dead = dev.tiergate.testing.DeadPort.reserve();
        TestGateway g = TestGateway.builder()
            .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDenseBatching(false))
            .env("REDIS", "redis://127.0.0.1:" + dead.port()).env("DOWN", DOWN)
            .config("""
                routing: { defaultTier: fast }
                tiers:
                  - name: fast
                    backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
                auth:
                  keys: [{ name: down, key: "${DOWN}", rpm: 2 }]
                  limits: { store: redis, redis: "${REDIS}", failMode: open }
                """)
            .start()) {
      assertFalse(g.gateway().services().limits().sharedUp());
      assertEquals(200, chat(g, DOWN).status());
      assertEquals(200, chat(g, DOWN).status());
      assertEquals(429, chat(g, DOWN).status(), "this replica's own rpm of 2");
    }
  }
}
