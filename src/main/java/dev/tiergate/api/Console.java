package dev.tiergate.api;

import dev.tiergate.config.ConsoleConfig;
import dev.tiergate.metrics.RecentRequests;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The operator console's process-wide state, shared by every API event loop: the page's static
 * files (read once from the jar), the ring buffer of recent requests, the count of live viewers,
 * the last tier report, and the last snapshot (one computation per push interval, however many
 * viewers).
 */
public final class Console {
  static final String RESOURCES = "dev/tiergate/console/";

  private final ConsoleConfig config;
  private final RecentRequests recent;
  private final Function<JsonObject, String> chart;
  private final AtomicInteger viewers = new AtomicInteger();
  private final AtomicReference<Report> report = new AtomicReference<>();
  private final AtomicReference<Cached> snapshot = new AtomicReference<>();
  final Buffer page = resource("index.html");
  final Buffer script = resource("console.js");
  final Buffer style = resource("console.css");

  /**
   * A tier report as the page shows it.
   *
   * @param json the {@code bench tiers --json} report
   * @param svg the chart drawn from it by the gateway (never markup a client sent)
   * @param source where it came from: a file path, or {@code published}
   */
  public record Report(JsonObject json, String svg, String source, Instant at) {}

  private record Cached(long atNanos, Future<String> json) {}

  /**
   * @param recent the ring buffer fed by every finished request
   * @param chart checks a report and draws its chart; throws {@link IllegalArgumentException} for a report it cannot read
   */
  public Console(ConsoleConfig config, RecentRequests recent, Function<JsonObject, String> chart) {
    this.config = config;
    this.recent = recent;
    this.chart = chart;
  }

  public ConsoleConfig config() {
    return config;
  }

  public RecentRequests recent() {
    return recent;
  }

  /** Draws and keeps a report; a report that cannot be drawn changes nothing. */
  public Report report(JsonObject json, String source) {
    Report r = new Report(json, chart.apply(json), source, Instant.now());
    report.set(r);
    return r;
  }

  Report report() {
    return report.get();
  }

  /** Room for one more viewer; false (and nothing counted) at the bound. */
  boolean addViewer() {
    while (true) {
      int n = viewers.get();
      if (n >= config.maxViewers()) {
        return false;
      }
      if (viewers.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  void removeViewer() {
    viewers.decrementAndGet();
  }

  public int viewers() {
    return viewers.get();
  }

  /** The snapshot of the last half push interval, or a new one from {@code compute}. */
  Future<String> snapshot(Supplier<Future<String>> compute) {
    long now = System.nanoTime();
    Cached c = snapshot.get();
    if (c != null && now - c.atNanos < config.pushMs() * 500_000L) {
      return c.json;
    }
    Cached next = new Cached(now, compute.get());
    snapshot.set(next);
    return next.json;
  }

  private static Buffer resource(String name) {
    try (InputStream in = Console.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("the console's " + name + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
