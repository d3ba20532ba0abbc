package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The load each engine reports while requests run and wait, and llama.cpp's /metrics and /slots compared with
 * captures of a real llama-server (src/test/resources/engine-transcripts/llamacpp).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SimLoadSignalsTest {
  /** Slow enough that a stream outlives the test's checks; the sim's own rate stays fast for the short ones. */
  private static final String[] SLOW = {"x-sim-decode-tps", "5"};

  /** A streaming request the test keeps open and can reset, like a client that goes away. */
  private static Future<HttpClientRequest> open(SimTesting.Http http, String... headers) {
    return http.client().request(HttpMethod.POST, http.port(), "127.0.0.1", "/v1/chat/completions").map(req -> {
      for (int i = 0; i + 1 < headers.length; i += 2) {
        req.putHeader(headers[i], headers[i + 1]);
      }
      req.send(chat("hi", 1000, true, null)).onSuccess(resp -> resp.handler(b -> { }));
      return req;
    });
  }

  private static Future<List<HttpClientRequest>> openMany(SimTesting.Http http, int n) {
    List<Future<HttpClientRequest>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(open(http, SLOW));
    }
    return Future.all(all).map(cf -> cf.<HttpClientRequest>list());
  }

  /** Opens streams one after the other, each seen by the sim before the next, so their order in line is known. */
  private static Future<List<HttpClientRequest>> openInOrder(SimServer sim, SimTesting.Http http, int n) {
    List<HttpClientRequest> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < n; i++) {
      int k = i + 1;
      chain = chain.compose(v -> open(http, SLOW)).compose(req -> {
        out.add(req);
        return http.await(() -> sim.stats().activeStreams() == k, 2000, "stream " + k + " at the sim");
      });
    }
    return chain.map(v -> out);
  }

  /** GETs {@code path} every 20 ms until the body satisfies {@code done}; fails after a few seconds. */
  private static Future<SimTesting.Reply> poll(SimTesting.Http http, String path, Predicate<String> done) {
    Promise<SimTesting.Reply> p = Promise.promise();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    pollOnce(http, path, done, deadline, p);
    return p.future();
  }

  private static void pollOnce(SimTesting.Http http, String path, Predicate<String> done, long deadline,
      Promise<SimTesting.Reply> p) {
    http.get(path).onComplete(ar -> {
      if (ar.succeeded() && done.test(ar.result().body())) {
        p.complete(ar.result());
      } else if (System.nanoTime() > deadline) {
        p.fail(new AssertionError("timed out waiting on " + path + ": "
            + (ar.succeeded() ? ar.result().body() : ar.cause())));
      } else {
        http.vertx().setTimer(20, t -> pollOnce(http, path, done, deadline, p));
      }
    });
  }

  private static Future<Void> resetAll(List<HttpClientRequest> requests) {
    List<Future<Void>> all = new ArrayList<>();
    for (HttpClientRequest r : requests) {
      all.add(r.reset());
    }
    return Future.all(all).mapEmpty();
  }

  /** The value of the sample line that starts with {@code series} (name plus labels). */
  static double value(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  @Test
  void vllmCountsStartedRequestsAsRunningAndTheRestAsWaiting(Vertx vertx, VertxTestContext ctx) {
    String l = "{engine=\"0\",model_name=\"qwen3.6-27b\"}";
    String running = "vllm:num_requests_running" + l;
    String waiting = "vllm:num_requests_waiting" + l;
    SimTesting.run(vertx, ctx, fast("vllm").withMaxRunning(2), (sim, http) -> openMany(http, 5)
        .compose(reqs -> poll(http, "/metrics", t -> value(t, running) == 2 && value(t, waiting) == 3)
            .map(r -> {
              assertTrue(r.headers().get("Content-Type").startsWith("text/plain; version=0.0.4"));
              double kv = value(r.body(), "vllm:kv_cache_usage_perc" + l);
              assertTrue(kv > 0 && kv < 1, "two requests hold KV: " + kv);
              return r;
            })
            .compose(r -> resetAll(reqs)))
        .compose(v -> poll(http, "/metrics", t -> value(t, running) == 0 && value(t, waiting) == 0))
        .map(r -> {
          assertEquals(5, sim.stats().aborted(), "waiting requests were aborted too");
          assertEquals(0.0, value(r.body(), "vllm:kv_cache_usage_perc" + l));
          return r;
        }));
  }

  @Test
  void sglangCountsItsRunningBatchAndItsQueue(Vertx vertx, VertxTestContext ctx) {
    String l = "{engine_type=\"unified\",model_name=\"qwen3.6-27b\",pp_rank=\"0\",tp_rank=\"0\"}";
    SimTesting.run(vertx, ctx, fast("sglang").withMaxRunning(2), (sim, http) -> openMany(http, 5)
        .compose(reqs -> poll(http, "/metrics", t -> value(t, "sglang:num_running_reqs" + l) == 2
            && value(t, "sglang:num_queue_reqs" + l) == 3)
            .compose(r -> resetAll(reqs)))
        .compose(v -> poll(http, "/metrics", t -> value(t, "sglang:num_running_reqs" + l) == 0
            && value(t, "sglang:num_queue_reqs" + l) == 0)));
  }

  @Test
  void llamaDefersBeyondItsSlotsAndAnAbortedWaiterLeavesAtOnce(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> openInOrder(sim, http, 6)
        // like capture 20d: six streams on four slots
        .compose(reqs -> poll(http, "/metrics", t -> value(t, "llamacpp:requests_processing") == 4
            && value(t, "llamacpp:requests_deferred") == 2)
            .compose(r -> reqs.get(5).reset()) // the last one in line
            .compose(v -> poll(http, "/metrics", t -> value(t, "llamacpp:requests_deferred") == 1))
            .map(r -> {
              assertEquals(4.0, value(r.body(), "llamacpp:requests_processing"));
              assertEquals(1, sim.stats().aborted());
              return r;
            })
            .compose(r -> reqs.get(0).reset()) // a running one: its slot goes to the next in line
            .compose(v -> poll(http, "/metrics", t -> value(t, "llamacpp:requests_deferred") == 0
                && value(t, "llamacpp:requests_processing") == 4))
            .compose(r -> resetAll(reqs.subList(1, 5))))
        .compose(v -> poll(http, "/metrics", t -> value(t, "llamacpp:requests_processing") == 0)));
  }

  @Test
  void llamaMetricsHaveTheCapturedShape(Vertx vertx, VertxTestContext ctx) throws IOException {
    Capture before = Capture.load("03a_metrics_before");
    Capture after = Capture.load("11_metrics_after");
    Capture deferred = Capture.load("20d_metrics_deferred");
    assertEquals(typeLines(before.body), typeLines(after.body));
    assertEquals(typeLines(before.body), typeLines(deferred.body));
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http.get("/metrics")
        .map(r -> {
          assertMetricsShape(before, r);
          return r;
        })
        .compose(r -> http.post("/v1/chat/completions", chat("warm the counters up", 5, true, null)))
        .compose(r -> openMany(http, 6))
        .compose(reqs -> poll(http, "/metrics", t -> value(t, "llamacpp:requests_deferred") == 2)
            .map(r -> {
              assertMetricsShape(deferred, r);
              assertEquals(4.0, value(r.body(), "llamacpp:requests_processing"));
              assertTrue(value(r.body(), "llamacpp:tokens_predicted_total") >= 5);
              assertTrue(value(r.body(), "llamacpp:n_decode_total") > 0);
              return r;
            })
            .compose(r -> resetAll(reqs))));
  }

  private static void assertMetricsShape(Capture capture, SimTesting.Reply r) {
    assertEquals(capture.header("Content-Type"), r.headers().get("Content-Type"));
    assertEquals(typeLines(capture.body), typeLines(r.body()), "names, types and order");
    assertEquals(helpLines(capture.body), helpLines(r.body()), "help texts");
    for (String line : r.body().split("\n")) {
      if (!line.startsWith("#")) {
        String[] parts = line.split(" ");
        assertEquals(2, parts.length, "name and value, no labels: " + line);
        assertFalse(parts[0].contains("{"), line);
        Double.parseDouble(parts[1]);
      }
    }
  }

  private static List<String> typeLines(String text) {
    return lines(text, "# TYPE ");
  }

  private static List<String> helpLines(String text) {
    return lines(text, "# HELP ");
  }

  private static List<String> lines(String text, String prefix) {
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix)) {
        out.add(line);
      }
    }
    return out;
  }

  @Test
  void llamaSlotsHaveTheCapturedShape(Vertx vertx, VertxTestContext ctx) throws IOException {
    JsonArray idle = new JsonArray(Capture.load("03c_slots_idle").body);
    JsonArray busy = new JsonArray(Capture.load("20a_slots_busy").body);
    JsonArray done = new JsonArray(Capture.load("20c_slots_after").body);
    Object neverUsed = shape(idle.getJsonObject(0));
    Object processing = shape(busy.getJsonObject(0));
    Object finished = shape(done.getJsonObject(0));
    String contentType = Capture.load("03c_slots_idle").header("Content-Type");
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http.get("/slots")
        .map(r -> {
          assertEquals(contentType, r.headers().get("Content-Type"));
          JsonArray slots = new JsonArray(r.body());
          assertEquals(4, slots.size(), "llama-server's default slots");
          for (int i = 0; i < 4; i++) {
            assertEquals(neverUsed, shape(slots.getJsonObject(i)));
            assertEquals(i, slots.getJsonObject(i).getInteger("id"));
          }
          return r;
        })
        .compose(r -> openMany(http, 3))
        .compose(reqs -> poll(http, "/slots", b -> new JsonArray(b).getJsonObject(2).getBoolean("is_processing")
            && new JsonArray(b).getJsonObject(0).getJsonArray("next_token").getJsonObject(0)
                .getInteger("n_decoded") > 0)
            .map(r -> {
              JsonArray slots = new JsonArray(r.body());
              for (int i = 0; i < 3; i++) {
                JsonObject s = slots.getJsonObject(i);
                assertEquals(processing, shape(s));
                assertTrue(s.getBoolean("is_processing"));
                JsonObject next = s.getJsonArray("next_token").getJsonObject(0);
                assertEquals(1000, next.getInteger("n_remain") + next.getInteger("n_decoded"));
                assertEquals(1000, s.getJsonObject("params").getInteger("max_tokens"));
                assertTrue(s.getJsonObject("params").getBoolean("stream"));
              }
              assertEquals(neverUsed, shape(slots.getJsonObject(3)));
              return r;
            })
            .compose(r -> resetAll(reqs)))
        .compose(v -> poll(http, "/slots", b -> !new JsonArray(b).getJsonObject(0).getBoolean("is_processing")))
        .map(r -> {
          JsonObject s = new JsonArray(r.body()).getJsonObject(0);
          assertEquals(finished, shape(s));
          assertFalse(s.getJsonArray("next_token").getJsonObject(0).getBoolean("has_next_token"));
          return r;
        }));
  }

  @Test
  void onlyTheLlamaFamilyServesSlots(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http.get("/slots").map(r -> {
      assertEquals(404, r.status());
      return r;
    }));
  }

  /** Keys and JSON value types, recursively; arrays by the shape of their first element. */
  static Object shape(Object v) {
    if (v instanceof JsonObject o) {
      Map<String, Object> m = new TreeMap<>();
      for (String k : o.fieldNames()) {
        m.put(k, shape(o.getValue(k)));
      }
      return m;
    }
    if (v instanceof JsonArray a) {
      return a.isEmpty() ? List.of() : List.of(shape(a.getValue(0)));
    }
    if (v instanceof Integer || v instanceof Long) {
      return "integer";
    }
    if (v instanceof Number) {
      return "float";
    }
    return v == null ? "null" : v.getClass().getSimpleName();
  }

  /** One captured exchange: status line and headers, then the body, as curl wrote them. */
  record Capture(String head, String body) {
    static Capture load(String name) throws IOException {
      String path = "/engine-transcripts/llamacpp/" + name + ".txt";
      try (InputStream in = SimLoadSignalsTest.class.getResourceAsStream(path)) {
        if (in == null) {
          throw new IOException("missing test resource " + path);
        }
        String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        int split = all.indexOf("\r\n\r\n");
        return new Capture(all.substring(0, split), all.substring(split + 4));
      }
    }

    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }
}
