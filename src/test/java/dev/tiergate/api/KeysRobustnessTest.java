package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.auth.Principal;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Keys under abuse and at the end of the gateway's life: 10,000 requests with random keys are all
 * 401 and leave nothing behind (no series, no counters, no heap), and a keyed stream cut by the
 * drain gives its concurrency slot back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeysRobustnessTest {
  static final String KEY = "robust-key-0123456789abcdef";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false))
        .env("KEY", KEY)
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            auth:
              keys:
                - { name: robust, key: "${KEY}", rpm: 100000, tpm: 100000000, maxConcurrent: 4 }
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static long tiergateSeries() {
    return gw.gateway().services().metrics().registry().getMeters().stream().filter(m -> m.getId().getName().startsWith("tiergate"))
        .count();
  }

  /** Sends n requests with random keys; returns how many were 401, and fails with what the others were. */
  static int sendRandom(HttpClient client, int n) {
    List<Future<Integer>> replies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = Long.toHexString(ThreadLocalRandom.current().nextLong()) + Long.toHexString(ThreadLocalRandom.current().nextLong());
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port())
          .setURI("/v1/chat/completions").putHeader("content-type", "application/json")
          .putHeader(i % 2 == 0 ? "authorization" : "x-api-key", i % 2 == 0 ? "Bearer " + key : key)
          // A request that hangs fails with its cause instead of leaving only "no answer".
          .setIdleTimeout(30_000);
      // Nested, not chained: a chained body() may attach on another event loop after the body has ended, and then
      // never completes (how this test once failed with one request "not answered" that the gateway had answered).
      replies.add(client.request(o).compose(req -> req.send(Buffer.buffer(CHAT)).compose(r -> r.body().map(b -> r.statusCode()))));
    }
    try {
      // Generous: a loaded machine may take long, but every request must end one way or the other.
      Future.join(replies).toCompletionStage().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // join fails when any request failed; each one is looked at below
    }
    int unauthorized = 0;
    java.util.Map<String, Integer> other = new java.util.TreeMap<>();
    for (Future<Integer> f : replies) {
      if (f.succeeded() && f.result() == 401) {
        unauthorized++;
      } else {
        other.merge(!f.isComplete() ? "no answer" : f.failed() ? f.cause().toString() : "status " + f.result(), 1, Integer::sum);
      }
    }
    assertTrue(other.isEmpty(), "every request with a random key is a 401; the others: " + other + " (the gateway counted "
        + gw.gateway().services().metrics().registry().find("tiergate_key_rejections").tags("key", "none").counter().count()
        + " rejections in all, " + gw.gateway().services().openConnections().get() + " client connections open)");
    return unauthorized;
  }

  @Test
  @Order(1)
  void tenThousandRandomKeysAreAll401AndLeaveNothingBehind() {
    HttpClient client = gw.vertx().createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(32));
    try {
      assertEquals(500, sendRandom(client, 500), "warm-up");
      long meters = tiergateSeries();
      long heap = heapAfterGc();
      int engine = gw.sim("fast-1").stats().requests();
      int unauthorized = 0;
      for (int batch = 0; batch < 50; batch++) {
        unauthorized += sendRandom(client, 200);
      }
      assertEquals(10_000, unauthorized);
      assertEquals(engine, gw.sim("fast-1").stats().requests(), "no engine saw any of them");
      assertEquals(meters, tiergateSeries(), "no new tiergate series (the JVM's GC meters may add their own)");
      long grown = heapAfterGc() - heap;
      assertTrue(grown < 16L * 1024 * 1024, "heap after GC grew by " + grown / 1024 + " KiB over 10,000 refused keys");
      double refused = gw.gateway().services().metrics().registry().find("tiergate_key_rejections").tags("key", "none",
          "reason", "unauthorized").counter().count();
      assertTrue(refused >= 10_500, "every one counted under key=none: " + refused);
    } finally {
      TestGateway.await(client.close());
    }
  }

  @Test
  @Order(2)
  void aStreamCutByTheDrainGivesItsSlotBack() {
    Principal p = gw.gateway().services().keys().principals().get(0);
    Wire.Reader r = Wire.Reader.open(gw, "/v1/chat/completions",
        "{\"model\":\"m\",\"stream\":true,\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "authorization", "Bearer " + KEY, "x-sim-decode-tps", "10");
    r.awaitText("content", 5_000);
    assertEquals(1, gw.gateway().services().limits().localActive(p));
    TestGateway.await(gw.gateway().drain(200));
    String body = r.awaitEnd();
    assertTrue(body.contains("shutting_down"), body);
    Wire.await("the cut stream's slot is back", 5_000, () -> gw.gateway().services().limits().localActive(p) == 0);
  }
}
