package dev.tiergate.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tiergate bench stream}: N concurrent streaming chats held for a duration, each re-opened when it
 * ends. Lanes are split over two event-loop contexts, each owning its counters, merged at the end. The
 * relay delay of an event is the client's receive time minus the {@code sim_ts_us} stamp the simulator put
 * in it; both processes share the machine clock, so comparing the direct and the gateway arm cancels the
 * clock offset and leaves what the gateway adds.
 */
public final class StreamBench {
  /** The load. {@code readDelayMs > 0} makes a slow consumer: one network read per delay. */
  public record Options(int streams, int durationS, int warmupS, int rampS, int maxTokens, int readDelayMs,
      Double simDecodeTps, int stallMs, long pid, String model) {
    /** How long streams may run past the end; slow consumers are cut almost at once. */
    int graceMs() {
      return readDelayMs > 0 ? 2_000 : Math.max(10_000, stallMs * 2);
    }
  }

  /** One arm's outcome. Times in ms; CPU in cores (CPU seconds / window seconds); RSS in MiB. */
  public record ArmResult(String name, int streams, long completed, long failed, long stalled, long cut,
      double eventsPerS,
      Samples ttftUs, Samples delayUs, double cpuCores, double cpuSeconds, double rssPeakMib, double hwmMib,
      List<String> errors, List<Double> rssTimeline) {}

  private static final byte[] STAMP = "\"sim_ts_us\":".getBytes(StandardCharsets.US_ASCII);
  private static final long BASE_EPOCH_MICROS;
  private static final long BASE_NANOS;

  static {
    Instant now = Instant.now();
    BASE_NANOS = System.nanoTime();
    BASE_EPOCH_MICROS = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private final Vertx vertx;
  private final Options o;

  public StreamBench(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.o = options;
  }

  static long epochMicros() {
    return BASE_EPOCH_MICROS + (System.nanoTime() - BASE_NANOS) / 1_000;
  }

  /** Runs one arm against {@code baseUrl}; blocks the calling (non event-loop) thread until it ends. */
  public ArmResult run(String name, String baseUrl, long pid) {
    String base = baseUrl.replaceAll("/+$", "").replaceAll("/v1$", "");
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(o.streams() + 16).setMaxWaitQueueSize(-1));
    String model = o.model() != null ? o.model() : firstModel(client, base);
    String body = Prompts.chatBody(model, Prompts.SHORT, o.maxTokens());
    long start = System.nanoTime();
    long measureFrom = start + o.warmupS() * 1_000_000_000L;
    long end = measureFrom + o.durationS() * 1_000_000_000L;
    int groups = 2;
    List<Group> all = new ArrayList<>();
    List<Future<Void>> done = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      Group group = new Group(client, base, body, measureFrom, end);
      all.add(group);
      Context ctx = vertx.getOrCreateContext(); // a fresh event-loop context per call from a non-Vert.x thread
      Promise<Void> p = Promise.promise();
      done.add(p.future());
      int first = g;
      ctx.runOnContext(v -> group.start(first, groups, p));
    }
    Sampler sampler = new Sampler(pid, start);
    long hardStop = end + o.graceMs() * 1_000_000L + 5_000_000_000L;
    double cpu0 = sampler.until(measureFrom, done);
    double cpu1 = sampler.until(end, done);
    sampler.until(hardStop, done);
    double cpu = cpu1 - cpu0;
    double window = o.durationS();
    TierBench.await(Future.all(done), 10_000L);
    double hwm = pid > 0 ? ProcStat.statusMib(pid, "VmHWM") : Double.NaN;
    TierBench.await(client.close(), 10_000);
    Group total = new Group(null, base, body, measureFrom, end);
    all.forEach(total::merge);
    double secs = o.durationS();
    return new ArmResult(name, o.streams(), total.completed, total.failed, total.stalled, total.cut, total.events / secs,
        total.ttft, total.delay, cpu / window, cpu, sampler.rssPeak, hwm, total.errors, sampler.timeline);
  }

  /** Samples the measured process once a second while an arm runs. */
  private static final class Sampler {
    final long pid;
    final List<Double> timeline = new ArrayList<>();
    double rssPeak = Double.NaN;
    long nextSample;

    Sampler(long pid, long start) {
      this.pid = pid;
      this.nextSample = start;
    }

    /** Samples until {@code deadline} (or until every lane is done); returns the CPU seconds at that point. */
    double until(long deadline, List<Future<Void>> done) {
      while (System.nanoTime() < deadline && !Future.all(done).isComplete()) {
        if (pid > 0 && System.nanoTime() >= nextSample) {
          double rss = ProcStat.statusMib(pid, "VmRSS");
          timeline.add(rss);
          rssPeak = Double.isNaN(rssPeak) ? rss : Math.max(rssPeak, rss);
          nextSample += 1_000_000_000L;
        }
        sleep(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000L)));
      }
      return pid > 0 ? ProcStat.cpuSeconds(pid) : Double.NaN;
    }
  }

  /** The first model GET /v1/models lists (a served model name on the gateway, the model on an engine). */
  static String firstModel(HttpClient client, String base) {
    try {
      io.vertx.core.json.JsonObject models = TierBench.await(client.request(new RequestOptions().setMethod(HttpMethod.GET)
          .setAbsoluteURI(base + "/v1/models")).compose(r -> r.send().compose(resp -> resp.body()))
          .map(b -> b.toJsonObject()), 10_000);
      return models.getJsonArray("data").getJsonObject(0).getString("id");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cannot read a model name from " + base + "/v1/models (pass --model): "
          + e.getMessage(), e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The lanes of one event-loop context and their counters; touched only on that context. */
  private final class Group {
    final HttpClient client;
    final String base;
    final String body;
    final long measureFrom;
    final long end;
    final Samples ttft = new Samples(200_000);
    final Samples delay = new Samples(2_000_000);
    final List<String> errors = new ArrayList<>();
    long completed;
    long failed;
    long stalled;
    long cut;
    long events;
    int open;
    Promise<Void> finished;
    final List<Lane> lanes = new ArrayList<>();

    Group(HttpClient client, String base, String body, long measureFrom, long end) {
      this.client = client;
      this.base = base;
      this.body = body;
      this.measureFrom = measureFrom;
      this.end = end;
    }

    void start(int first, int step, Promise<Void> done) {
      finished = done;
      for (int i = first; i < o.streams(); i += step) {
        Lane lane = new Lane(this);
        lanes.add(lane);
        open++;
        long at = o.streams() <= 1 ? 1 : Math.max(1, (long) o.rampS() * 1000 * i / o.streams());
        vertx.setTimer(at, t -> lane.next());
      }
      if (open == 0) {
        done.tryComplete();
        return;
      }
      vertx.setPeriodic(500, id -> {
        long now = System.nanoTime();
        boolean over = now > end + o.graceMs() * 1_000_000L;
        for (Lane l : lanes) {
          l.checkStall(now, over);
        }
        if (open == 0 || over) {
          vertx.cancelTimer(id);
          finished.tryComplete();
        }
      });
    }

    void laneDone() {
      open--;
      if (open == 0) {
        finished.tryComplete();
      }
    }

    void error(String e) {
      if (errors.size() < 5 && !errors.contains(e)) {
        errors.add(e);
      }
    }

    void merge(Group g) {
      ttft.addAll(g.ttft);
      delay.addAll(g.delay);
      completed += g.completed;
      failed += g.failed;
      stalled += g.stalled;
      cut += g.cut;
      events += g.events;
      g.errors.forEach(this::error);
    }
  }

  /** One client slot: a stream at a time, re-opened until the end of the run. */
  private final class Lane {
    final Group g;
    HttpClientRequest req;
    HttpClientResponse resp;
    SseSplitter splitter;
    long sent;
    long lastActivity;
    boolean gotOutput;
    boolean sawDone;
    boolean active;
    boolean finishedLane;

    Lane(Group g) {
      this.g = g;
    }

    void next() {
      if (System.nanoTime() >= g.end) {
        if (!finishedLane) {
          finishedLane = true;
          g.laneDone();
        }
        return;
      }
      active = true;
      gotOutput = false;
      sawDone = false;
      splitter = new SseSplitter(1 << 20);
      lastActivity = System.nanoTime();
      RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(g.base + "/v1/chat/completions")
          .putHeader("content-type", "application/json");
      if (o.simDecodeTps() != null) {
        ro.putHeader("x-sim-decode-tps", Double.toString(o.simDecodeTps()));
      }
      String body = g.body;
      g.client.request(ro).onFailure(this::fail).onSuccess(r -> {
        req = r;
        sent = System.nanoTime();
        r.send(Buffer.buffer(body)).onFailure(this::fail).onSuccess(this::onResponse);
      });
    }

    void onResponse(HttpClientResponse r) {
      resp = r;
      if (r.statusCode() != 200) {
        r.body().onComplete(b -> fail(new IllegalStateException("HTTP " + r.statusCode() + ": "
            + (b.succeeded() ? ChatCall.errorText(b.result().toString()) : ""))));
        return;
      }
      r.exceptionHandler(this::fail);
      if (o.readDelayMs() > 0) {
        r.pause();
        r.fetch(1);
      }
      r.handler(this::chunk);
      r.endHandler(v -> ended());
    }

    void chunk(Buffer b) {
      long now = System.nanoTime();
      lastActivity = now;
      if (!splitter.feed(b, this::event)) {
        fail(new IllegalStateException("oversized event"));
        return;
      }
      if (o.readDelayMs() > 0 && active) {
        HttpClientResponse r = resp;
        vertx.setTimer(o.readDelayMs(), t -> r.fetch(1));
      }
    }

    void event(Buffer data) {
      long now = System.nanoTime();
      boolean measuring = now >= g.measureFrom && now < g.end;
      if (SseSplitter.isDone(data)) {
        sawDone = true;
        return;
      }
      if (measuring) {
        g.events++;
        long ts = SseSplitter.longAfter(data, STAMP);
        if (ts > 0) {
          g.delay.add(epochMicros() - ts);
        }
      }
      if (!gotOutput && ChatCall.isOutput(data)) {
        gotOutput = true;
        if (measuring) {
          g.ttft.add((now - sent) / 1_000);
        }
      }
    }

    void ended() {
      if (!active) {
        return;
      }
      active = false;
      if (sawDone) {
        g.completed++;
      } else {
        g.failed++;
        g.error("stream ended without [DONE]");
      }
      next();
    }

    void fail(Throwable t) {
      if (!active) {
        return;
      }
      active = false;
      g.failed++;
      g.error(String.valueOf(t.getMessage()));
      vertx.setTimer(100, x -> next()); // a refused connection must not spin
    }

    void checkStall(long now, boolean over) {
      if (!active) {
        return;
      }
      boolean idle = now - lastActivity > o.stallMs() * 1_000_000L;
      if (over || idle) {
        active = false;
        if (idle) {
          g.stalled++;
          g.error("no bytes for " + o.stallMs() + " ms");
        } else {
          g.cut++; // still flowing when the run ended: not a failure
        }
        if (req != null) {
          req.reset();
        }
        if (over) {
          if (!finishedLane) {
            finishedLane = true;
            g.laneDone();
          }
        } else {
          next();
        }
      }
    }
  }
}
