package dev.tiergate.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Replays a workload against one gateway: each request sent at its arrival time on the client's event loop, however
 * many are still running (an open loop, as real traffic is). The caller's thread only waits and draws progress.
 */
final class MixRunner {
  private static final long POLL_MS = 100;

  private final Vertx vertx;
  private final MixPlan plan;

  MixRunner(Vertx vertx, MixPlan plan) {
    this.vertx = vertx;
    this.plan = plan;
  }

  /** Waits until {@code GET /ready} answers 200; false when it did not within the timeout. */
  boolean awaitReady(String baseUrl, long timeoutMs) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2_000));
    try {
      long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
      while (System.nanoTime() < deadline) {
        try {
          if (get(client, baseUrl + "/ready").status() == 200) {
            return true;
          }
        } catch (RuntimeException e) {
          // not listening yet
        }
        sleep(POLL_MS);
      }
      return false;
    } finally {
      TierBench.await(client.close(), 5_000);
    }
  }

  /**
   * Each tier's decode rate with the fleet idle, one short pinned call per tier after one warm-up call (tiers in
   * parallel: they are separate engines). A tier that fails both calls gets NaN.
   */
  Map<String, Double> unloaded(String baseUrl, List<String> tiers) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(Math.max(1, tiers.size())));
    SplittableRandom random = new SplittableRandom(plan.seed());
    try {
      List<Future<Double>> calls = new ArrayList<>();
      for (String tier : tiers) {
        Map<String, String> pin = Map.of("x-tiergate-tier", tier, "x-tiergate-strict", "true");
        String warm = Prompts.chatBody(MixWorkload.MODEL, Prompts.salt(random) + Prompts.SHORT, 4);
        String probe = Prompts.chatBody(MixWorkload.MODEL, Prompts.salt(random) + Prompts.PROSE, plan.probeTokens());
        calls.add(ChatCall.run(client, baseUrl, warm, pin, plan.callTimeoutMs()).recover(e -> Future.succeededFuture(null))
            .compose(w -> ChatCall.run(client, baseUrl, probe, pin, plan.callTimeoutMs()))
            .map(r -> r.error() == null ? r.decodeTps() : Double.NaN).recover(e -> Future.succeededFuture(Double.NaN)));
      }
      Map<String, Double> out = new LinkedHashMap<>();
      for (int i = 0; i < tiers.size(); i++) {
        out.put(tiers.get(i), TierBench.await(calls.get(i), plan.callTimeoutMs() + 5_000));
      }
      return out;
    } finally {
      TierBench.await(client.close(), 5_000);
    }
  }

  /** Replays the workload; returns one outcome per request, in workload order. */
  List<MixOutcome> replay(String baseUrl, List<MixRequest> workload, Progress progress, String label) {
    int n = workload.size();
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(10_000).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(Math.max(16, n)).setMaxWaitQueueSize(-1));
    AtomicReferenceArray<MixOutcome> got = new AtomicReferenceArray<>(n);
    AtomicInteger done = new AtomicInteger();
    AtomicBoolean cut = new AtomicBoolean();
    long t0 = System.nanoTime();
    long lastAt = 0;
    for (MixRequest r : workload) {
      lastAt = Math.max(lastAt, r.atMs());
      long delay = Math.max(1, r.atMs() - (System.nanoTime() - t0) / 1_000_000);
      vertx.setTimer(delay, id -> ChatCall.run(client, baseUrl, r.body(), r.headers(), plan.callTimeoutMs(),
          r.kind() == MixClass.INTERACTIVE).onComplete(ar -> {
            MixOutcome o = ar.succeeded() ? outcome(r, ar.result(), t0, cut.get())
                : lost(r, cut.get() ? noStatus() : ar.cause().getMessage());
            if (got.compareAndSet(r.index(), null, o)) {
              done.incrementAndGet();
            }
          }));
    }
    long deadline = t0 + (lastAt + plan.drainS() * 1000L) * 1_000_000L;
    int shown = 0;
    while (done.get() < n && System.nanoTime() < deadline) {
      sleep(POLL_MS);
      for (int d = done.get(); shown < d; shown++) {
        progress.step(label + " " + (shown + 1) + "/" + n);
      }
    }
    // Out of time: closing the client ends every call still open, so each one gets its outcome now.
    cut.set(done.get() < n);
    TierBench.await(client.close(), 10_000);
    for (int i = 0; i < 50 && done.get() < n; i++) {
      sleep(POLL_MS);
    }
    List<MixOutcome> out = new ArrayList<>(n);
    for (MixRequest r : workload) {
      MixOutcome o = got.get(r.index());
      out.add(o != null ? o : lost(r, noStatus()));
    }
    for (; shown < n; shown++) {
      progress.step(label + " " + (shown + 1) + "/" + n);
    }
    return out;
  }

  private String noStatus() {
    return "no status within " + plan.drainS() + " s after the last arrival (the run's deadline)";
  }

  private static MixOutcome outcome(MixRequest r, ChatCall.Result c, long t0, boolean cut) {
    String error = c.error();
    if (cut && error != null) {
      error = "cut at the run's deadline: " + error;
    }
    long[] times = new long[c.outputTimes().length];
    for (int i = 0; i < times.length; i++) {
      times[i] = us(c.outputTimes()[i], t0);
    }
    return new MixOutcome(r, c.status(), error, c.servedTier(), c.gatewayHeaders().get("x-tiergate-reason"),
        us(c.sentNanos(), t0), us(c.firstOutputNanos(), t0), us(c.lastOutputNanos(), t0), c.outputEvents(),
        c.completionTokens(), heldMs(c), c.headerNumber("x-tiergate-predicted-ttft-ms"), times);
  }

  /** Time the gateway held the request before starting it: admission (queued) plus a swap (waited); NaN if neither. */
  static double heldMs(ChatCall.Result c) {
    double queued = c.headerNumber("x-tiergate-queued-ms");
    double waited = c.headerNumber("x-tiergate-waited-ms");
    if (Double.isNaN(queued) || Double.isNaN(waited)) {
      return Double.isNaN(queued) ? waited : queued;
    }
    return queued + waited;
  }

  /** No status came: the planned send time stands in for the real one. */
  private static MixOutcome lost(MixRequest r, String why) {
    return new MixOutcome(r, 0, why, null, null, r.atMs() * 1000, -1, -1, 0, 0, Double.NaN, Double.NaN, new long[0]);
  }

  private static long us(long nanos, long t0) {
    return nanos > 0 ? (nanos - t0) / 1000 : -1;
  }

  /** Reads a text resource (the gateway's /metrics); null when it cannot. */
  String text(String url) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2_000));
    try {
      Got g = get(client, url);
      return g.status() == 200 ? g.body() : null;
    } catch (RuntimeException e) {
      return null;
    } finally {
      TierBench.await(client.close(), 5_000);
    }
  }

  private record Got(int status, String body) {}

  private static Got get(HttpClient client, String url) {
    return TierBench.await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url))
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> new Got(resp.statusCode(), b.toString())))), 5_000);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
