package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sim's split between one engine context (the scheduler) and several HTTP loops (parsing, side routes, writing
 * the streams): checked by which threads do what, never by how long anything takes. The clients are the JDK's, so
 * no client connection can land on the engine's event loop; the Vert.x instance has a loop for the engine and one
 * for each listener, whatever the machine's core count.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimLoopsTest {
  private static final int LOOPS = 2;
  private Vertx vertx;
  private HttpClient http;
  private SimServer sim;

  @BeforeEach
  void setUp() {
    // the test blocks the engine's loop on purpose: no blocked-thread warning for other tests' guards to see
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(LOOPS + 2).setMaxEventLoopExecuteTime(60)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
    // HTTP/1.1 only: one connection per concurrent request, never one multiplexed h2c connection
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (sim != null) {
      sim.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private SimServer start(SimOptions o) throws Exception {
    sim = SimServer.start(vertx, o.withLoops(LOOPS)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return sim;
  }

  private CompletableFuture<HttpResponse<String>> get(String path) {
    return http.sendAsync(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> stream(String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + sim.port() + path);
  }

  private String engineThread() throws Exception {
    CompletableFuture<String> name = new CompletableFuture<>();
    sim.core().onEngine(() -> name.complete(Thread.currentThread().getName()));
    return name.get(5, TimeUnit.SECONDS);
  }

  /** Polls /metrics until {@code series} reads {@code want}. */
  private void awaitMetric(String series, double want) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = get("/metrics").get(10, TimeUnit.SECONDS).body();
      if (SimLoadSignalsTest.value(last, series) == want) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(series + " never read " + want + ":\n" + last);
  }

  private static String runningSeries(String engine) {
    return switch (engine) {
      case "vllm" -> "vllm:num_requests_running{engine=\"0\",model_name=\"qwen3.6-27b\"}";
      case "sglang" -> "sglang:num_running_reqs{engine_type=\"unified\",model_name=\"qwen3.6-27b\",pp_rank=\"0\","
          + "tp_rank=\"0\"}";
      default -> "llamacpp:requests_processing";
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void sideRoutesAnswerWhileTheEngineContextIsBusy(String engine) throws Exception {
    boolean llama = engine.equals("llamacpp") || engine.equals("ikllama");
    int streams = engine.equals("ikllama") ? 1 : 2; // ik_llama has one slot
    start(fast(engine).withMaxRunning(engine.equals("ikllama") ? 1 : 4));
    List<CompletableFuture<HttpResponse<String>>> open = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      open.add(stream(chat("hi", 20, true, null), "x-sim-decode-tps", "10"));
    }
    awaitMetric(runningSeries(engine), streams);

    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean blocked = new AtomicBoolean();
    sim.core().onEngine(() -> {
      blocked.set(true);
      entered.countDown();
      try {
        release.await(20, TimeUnit.SECONDS); // the engine's loop does nothing else until the test lets it go
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      blocked.set(false);
    });
    assertTrue(entered.await(5, TimeUnit.SECONDS), "the engine context took the blocking task");
    try {
      List<String> paths = new ArrayList<>(List.of("/health", "/metrics", "/v1/models"));
      if (llama) {
        paths.add("/slots");
      }
      for (String path : paths) {
        HttpResponse<String> r = get(path).get(10, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        assertTrue(blocked.get(), path + " answered while the engine context was still busy");
        if (path.equals("/metrics")) {
          assertEquals(streams, SimLoadSignalsTest.value(r.body(), runningSeries(engine)),
              "the load the engine published before it got busy");
        }
        if (path.equals("/slots")) {
          JsonArray slots = new JsonArray(r.body());
          long busy = slots.stream().filter(s -> ((io.vertx.core.json.JsonObject) s).getBoolean("is_processing"))
              .count();
          assertEquals(streams, busy, r.body());
        }
        if (path.equals("/health") && engine.equals("ikllama")) {
          assertTrue(r.body().contains("\"slots_processing\":1"), r.body());
        }
      }
      for (CompletableFuture<HttpResponse<String>> s : open) {
        assertFalse(s.isDone(), "no stream can end while its engine is stopped");
      }
    } finally {
      release.countDown();
    }
    for (CompletableFuture<HttpResponse<String>> s : open) {
      HttpResponse<String> r = s.get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertTrue(r.body().endsWith("data: [DONE]\n\n"), "the stream goes on and ends once the engine runs again");
    }
    assertEquals(streams, sim.stats().completed());
    assertEquals(0, sim.stats().aborted());
  }

  @Test
  void streamsAreWrittenOnTheirConnectionsLoopsWhileOneSchedulerRunsThemAll() throws Exception {
    start(fast("vllm").withMaxRunning(8).withDenseBatching(false));
    Set<String> writers = ConcurrentHashMap.newKeySet();
    sim.core().writeProbe = writers::add;
    String engineThread = engineThread();
    int n = 6;
    List<CompletableFuture<HttpResponse<String>>> open = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      open.add(stream(chat("hi", 30, true, null), "x-sim-decode-tps", "20"));
    }
    // all six decode in the same engine steps: one scheduler holds them all
    awaitMetric(runningSeries("vllm"), n);
    for (CompletableFuture<HttpResponse<String>> s : open) {
      HttpResponse<String> r = s.get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertEquals(30, SimTesting.data(r.body()).stream().filter(d -> d.contains("\"content\":\"")).count() - 1,
          "the role chunk and 30 tokens: " + r.body());
      assertTrue(r.body().endsWith("data: [DONE]\n\n"));
    }
    assertFalse(writers.contains(engineThread), "the engine's thread never writes a stream: " + writers
        + " engine " + engineThread);
    assertEquals(LOOPS, writers.size(), "the connections are spread over the listeners' loops: " + writers);
    assertEquals(n, sim.stats().completed());
  }

  @Test
  void manyStreamsOverSeveralLoopsEachGetEveryTokenOnce() throws Exception {
    start(fast("sglang").withDecodeTps(500).withDenseBatching(false));
    int n = 120;
    List<CompletableFuture<HttpResponse<String>>> open = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      open.add(stream(chat("hi", 25, true, "\"stream_options\":{\"include_usage\":true}")));
    }
    for (CompletableFuture<HttpResponse<String>> s : open) {
      HttpResponse<String> r = s.get(30, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      List<String> data = SimTesting.data(r.body());
      assertEquals("[DONE]", data.get(data.size() - 1));
      String usage = data.get(data.size() - 2);
      assertTrue(usage.contains("\"completion_tokens\":25"), usage);
      long tokens = data.stream().filter(d -> d.contains("\"content\":\"") && !d.contains("\"role\":\"assistant\""))
          .count();
      assertEquals(25, tokens, r.body());
    }
    assertEquals(n, sim.stats().completed());
    assertEquals(0, sim.stats().aborted());
    assertEquals(0, sim.stats().activeStreams());
    assertNotNull(sim.core().snapshot());
    assertEquals(0, sim.core().snapshot().load().admitted(), "every slot is free again");
  }
}
