package dev.tiergate.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code tiergate bench swap}: what a swap costs a client, against a gateway whose group holds
 * {@code --tier} and {@code --back}. (1) With {@code --back} live, one strict streamed request for
 * {@code --tier}: trigger to first token, and the swap's phases as the gateway recorded them. (2)
 * Back again, then {@code --waiters} strict requests for {@code --tier} at once: all must be
 * answered by it, none lost, while the gateway's RSS ({@code --pid}) is sampled.
 */
final class SwapBench {
  private SwapBench() {}

  record Report(double firstTokenMs, JsonObject swap, int waiters, Map<Integer, Integer> statuses, int servedByTier,
      double waitedP50Ms, double waitedP99Ms, double wallMs, double peakRssMib) {}

  static Report run(Vertx vertx, String url, String tier, String back, int waiters, long pid, PrintStream out) {
    HttpClient one = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    HttpClient many = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(waiters).setMaxWaitQueueSize(-1));
    Map<String, String> strict = Map.of("x-tiergate-strict", "true");
    String stream = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    String plain = "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    out.println("making " + back + " live…");
    await(ChatCall.run(one, url, stream, with(strict, back), 900_000));
    out.println("strict request for " + tier + " (a swap " + back + " -> " + tier + ")…");
    ChatCall.Result r = await(ChatCall.run(one, url, stream, with(strict, tier), 900_000));
    if (r.status() != 200 || !tier.equals(r.servedTier())) {
      throw new IllegalStateException("the swap request was answered " + r.status() + " by " + r.servedTier() + ": " + r.error());
    }
    JsonObject swap = lastSwap(one, url);
    out.println("back to " + back + "…");
    await(ChatCall.run(one, url, stream, with(strict, back), 900_000));

    out.println(waiters + " strict requests for " + tier + " at once…");
    double[] peak = {0};
    AtomicBoolean sampling = new AtomicBoolean(true);
    long sampler = pid > 0 ? vertx.setPeriodic(100, id -> {
      if (sampling.get()) {
        peak[0] = Math.max(peak[0], ProcStat.statusMib(pid, "VmRSS"));
      }
    }) : -1;
    long start = System.nanoTime();
    List<Future<int[]>> all = new ArrayList<>();
    for (int i = 0; i < waiters; i++) {
      all.add(plain(many, url, plain, tier));
    }
    Future.join(new ArrayList<>(all)).toCompletionStage().toCompletableFuture().handle((v, t) -> null).join();
    double wall = (System.nanoTime() - start) / 1e6;
    sampling.set(false);
    if (sampler >= 0) {
      vertx.cancelTimer(sampler);
    }
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<Double> waited = new ArrayList<>();
    int served = 0;
    for (Future<int[]> f : all) {
      int status = f.succeeded() ? f.result()[0] : -1;
      statuses.merge(status, 1, Integer::sum);
      if (f.succeeded() && f.result()[1] == 1) {
        served++;
      }
      if (f.succeeded() && f.result()[2] >= 0) {
        waited.add((double) f.result()[2]);
      }
    }
    waited.sort(Double::compare);
    return new Report(r.ttftMs(), swap, waiters, statuses, served, pct(waited, 0.5), pct(waited, 0.99), wall, peak[0]);
  }

  private static Map<String, String> with(Map<String, String> h, String tier) {
    Map<String, String> m = new java.util.HashMap<>(h);
    m.put("x-tiergate-tier", tier);
    return m;
  }

  /** status, 1 when served by the tier, waited ms (-1 when not said). */
  private static Future<int[]> plain(HttpClient client, String url, String body, String tier) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url + "/v1/chat/completions")
        .putHeader("content-type", "application/json").putHeader("x-tiergate-tier", tier).putHeader("x-tiergate-strict", "true");
    return client.request(o).compose(req -> req.send(body).compose(resp -> resp.body().map(b -> {
      String w = resp.getHeader("x-tiergate-waited-ms");
      return new int[] {resp.statusCode(), tier.equals(resp.getHeader("x-tiergate-tier")) ? 1 : 0,
          w == null ? -1 : Integer.parseInt(w)};
    })));
  }

  private static JsonObject lastSwap(HttpClient client, String url) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url + "/tiergate/status");
    JsonObject status = await(client.request(o).compose(req -> req.send().compose(resp -> resp.body()))
        .map(b -> new JsonObject(b)));
    return status.getJsonArray("groups").getJsonObject(0).getJsonArray("lastSwaps").getJsonObject(0);
  }

  private static double pct(List<Double> sorted, double q) {
    return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
  }

  private static <T> T await(Future<T> f) {
    CompletableFuture<T> cf = f.toCompletionStage().toCompletableFuture();
    try {
      return cf.get(15, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() != null ? e.getCause().getMessage() : e.getMessage(), e);
    }
  }

  static void print(Report r, PrintStream out) {
    out.printf("%nswap trigger to first token on the new tier: %.0f ms%n", r.firstTokenMs());
    out.println("the gateway's record of that swap: " + r.swap().encode());
    out.printf("%d waiters: statuses %s, served by the tier %d, waited p50 %.0f ms p99 %.0f ms, wall %.0f ms, peak RSS %.0f MiB%n",
        r.waiters(), r.statuses(), r.servedByTier(), r.waitedP50Ms(), r.waitedP99Ms(), r.wallMs(), r.peakRssMib());
  }
}
