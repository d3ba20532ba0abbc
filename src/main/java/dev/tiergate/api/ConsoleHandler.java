package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The console's endpoints. The page and its script are the same static files for everyone and
 * carry no state, so they are open; everything with data in it (the event stream, a snapshot, the
 * tier report) follows {@code /tiergate/status}: admin key needed once the gateway has keys. The
 * page sends the key as an {@code Authorization} header from {@code fetch()}, which is why the
 * events are read as a fetch stream rather than with {@code EventSource} (it cannot send headers,
 * and a key in the URL would land in logs and history: the gateway refuses those).
 */
final class ConsoleHandler {
  /** The window the charts cover, and the width of one point. */
  static final long SPAN_MS = 300_000;
  static final long BUCKET_MS = 10_000;
  /** A tier report is a few kilobytes; this leaves room for dozens of tiers and notes. */
  static final long MAX_REPORT_BYTES = 1024 * 1024;
  /** A viewer whose connection took nothing for this long is disconnected. */
  static final long STALLED_MS = 60_000;
  /**
   * No inline script, no third-party origin, no framing (the admin buttons must not be clickjacked);
   * the report chart is shown as an image from a blob, where SVG cannot run script.
   */
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private final Services services;
  private final Console console;
  private final Buffer page;

  ConsoleHandler(Services services, Console console) {
    this.services = services;
    this.console = console;
    // Whether to ask for a key before the first request (rather than after a 401); never the key itself.
    this.page = Buffer.buffer(console.page.toString().replace("@KEYS@", Boolean.toString(services.keys().enabled())));
  }

  void page(RoutingContext ctx) {
    file(ctx, page, "text/html; charset=utf-8");
  }

  void script(RoutingContext ctx) {
    file(ctx, console.script, "text/javascript; charset=utf-8");
  }

  void style(RoutingContext ctx) {
    file(ctx, console.style, "text/css; charset=utf-8");
  }

  private static void file(RoutingContext ctx, Buffer body, String type) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, type).putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("Content-Security-Policy", CSP).putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY").putHeader("Referrer-Policy", "no-referrer").end(body);
  }

  /** {@code GET /tiergate/console/state}: the snapshot the event stream pushes, once. */
  void state(RoutingContext ctx) {
    Context here = ctx.vertx().getOrCreateContext();
    snapshot(ctx.vertx()).onComplete(ar -> here.runOnContext(v -> {
      if (ctx.response().closed()) {
        return;
      }
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(ar.result());
    }));
  }

  /** {@code GET /tiergate/events}: a snapshot now and every {@code console.pushMs}, for as long as the viewer stays. */
  void events(RoutingContext ctx) {
    if (!console.addViewer()) {
      Responses.error(ctx.response(), GatewayError.of(Kind.OVERLOADED, "The console already has its "
          + console.config().maxViewers() + " live viewers (console.maxViewers); close one, or try again later."), 5);
      return;
    }
    new Viewer(ctx).start();
  }

  /** One open event stream, confined to its connection's event loop. */
  private final class Viewer {
    private final RoutingContext ctx;
    private final HttpServerResponse resp;
    private final Context here;
    private long timer = -1;
    private long skipped;
    private boolean gone;

    Viewer(RoutingContext ctx) {
      this.ctx = ctx;
      this.resp = ctx.response();
      this.here = ctx.vertx().getOrCreateContext();
    }

    void start() {
      resp.closeHandler(v -> close());
      resp.exceptionHandler(t -> close());
      resp.setStatusCode(200).setChunked(true)
          .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").putHeader("X-Accel-Buffering", "no")
          .write(": tiergate console\nretry: 2000\n\n");
      timer = ctx.vertx().setPeriodic(console.config().pushMs(), id -> push());
      push();
    }

    private void push() {
      if (gone) {
        return;
      }
      // A viewer that does not read is skipped, not buffered for: its queue stays one snapshot deep.
      // One that reads nothing for a minute (a laptop asleep, a wedged proxy) gives its place back.
      if (resp.writeQueueFull()) {
        if (++skipped * console.config().pushMs() >= STALLED_MS) {
          resp.reset();
          close();
        }
        return;
      }
      skipped = 0;
      snapshot(ctx.vertx()).onComplete(ar -> here.runOnContext(v -> {
        if (!gone && ar.succeeded() && !resp.closed()) {
          resp.write("event: snapshot\ndata: " + ar.result() + "\n\n");
        }
      }));
    }

    private void close() {
      if (gone) {
        return;
      }
      gone = true;
      ctx.vertx().cancelTimer(timer);
      console.removeViewer();
    }
  }

  /** {@code GET /tiergate/report}: the last tier report and its chart; 404 when none was given. */
  void report(RoutingContext ctx) {
    Console.Report r = console.report();
    if (r == null) {
      ctx.fail(GatewayError.of(Kind.NOT_FOUND, "No tier report yet: run `tiergate bench tiers --url <gateway> --publish <gateway>`,"
          + " or set console.report to a `bench tiers --json` file."));
      return;
    }
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(reportJson(r).put("report", r.json()).put("svg", r.svg()).encode());
  }

  /** {@code POST /tiergate/report}: keeps a {@code bench tiers} JSON report for the page (bounded, checked, drawn here). */
  void publish(RoutingContext ctx) {
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    long n;
    try {
      n = length == null ? -1 : Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0) {
      ctx.fail(GatewayError.invalid("Send the report with a Content-Length (as `bench tiers --publish` does).", null));
      return;
    }
    if (n > MAX_REPORT_BYTES) {
      Connections.lingeringClose(ctx.vertx(), ctx.request());
      ctx.fail(GatewayError.of(Kind.PAYLOAD_TOO_LARGE, "A tier report is at most " + MAX_REPORT_BYTES + " bytes; this one is " + n + "."));
      return;
    }
    Context here = ctx.vertx().getOrCreateContext();
    ctx.request().body().onComplete(ar -> {
      if (ar.failed() || ctx.response().closed()) {
        return;
      }
      // Parsing up to a megabyte and drawing the chart are CPU work: done on a worker, answered here.
      ctx.vertx().executeBlocking(() -> publish(ar.result()), false).onComplete(done -> here.runOnContext(v -> {
        if (ctx.response().closed()) {
          return;
        }
        if (done.failed()) {
          ctx.fail(done.cause());
          return;
        }
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(reportJson(done.result()).encode());
      }));
    });
    ctx.request().resume();
  }

  /** Reads and keeps a report; a GatewayError (400) says why a body is not one. */
  private Console.Report publish(Buffer body) {
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      throw GatewayError.invalid("The body is not a JSON object: expected the report `bench tiers --json` writes.", null);
    }
    try {
      return console.report(json, "published");
    } catch (IllegalArgumentException e) {
      throw GatewayError.invalid("Not a bench tiers report: " + e.getMessage(), null);
    }
  }

  private static JsonObject reportJson(Console.Report r) {
    JsonArray tiers = new JsonArray();
    r.json().getJsonArray("tiers", new JsonArray()).forEach(t -> tiers.add(((JsonObject) t).getString("tier")));
    return new JsonObject().put("source", r.source()).put("at", r.at().toString()).put("tiers", tiers);
  }

  /** The shared snapshot: the status, the groups' swaps, the ring's window (computed off the event loop). */
  private Future<String> snapshot(Vertx vertx) {
    return console.snapshot(() -> {
      JsonObject body = StatusHandler.body(services);
      Future<JsonArray> groups = services.lifecycles().status();
      // The tiers in force (a reload may have added or removed some), in the order status shows them.
      List<String> tiers = body.getJsonArray("tiers").stream().map(t -> ((JsonObject) t).getString("name")).toList();
      Future<JsonObject> recent = vertx.executeBlocking(() -> console.recent().window(SPAN_MS, BUCKET_MS, tiers), false);
      return Future.all(groups, recent).map(all -> {
        body.put("groups", groups.result() == null ? new JsonArray() : brief(groups.result()));
        body.put("recent", recent.result());
        int inflight = 0;
        int waiting = 0;
        for (Object t : body.getJsonArray("tiers")) {
          for (Object b : ((JsonObject) t).getJsonArray("backends")) {
            inflight += ((JsonObject) b).getInteger("inflight");
            waiting += ((JsonObject) b).getInteger("waiting");
          }
        }
        // Requests held for a swap wait too, though in no backend's queue.
        int forSwap = 0;
        for (Object g : body.getJsonArray("groups")) {
          forSwap += ((JsonObject) g).getInteger("queue", 0);
        }
        Console.Report r = console.report();
        body.put("inflight", inflight).put("waiting", waiting + forSwap).put("waitingForSwap", forSwap).put("viewers", console.viewers())
            .put("actions", actionsRouted(services)).put("keys", services.keys().enabled())
            .put("report", r == null ? null : reportJson(r));
        return body.encode();
      });
    });
  }

  /** The operator endpoints exist: with keys (the viewer is an admin to see this at all), or {@code lifecycle.adminEndpoints}. */
  static boolean actionsRouted(Services services) {
    return services.keys().enabled() || services.config().lifecycle().adminEndpoints();
  }

  /** The groups without their engines' log tails (status has them; the page pushes every second). */
  private static JsonArray brief(JsonArray groups) {
    JsonArray out = new JsonArray();
    for (Object o : groups) {
      JsonObject g = ((JsonObject) o).copy();
      JsonArray tiers = g.getJsonArray("tiers");
      if (tiers != null) {
        tiers.forEach(t -> {
          if (t instanceof JsonObject j) {
            j.remove("log");
          }
        });
      }
      g.remove("lastSwaps");
      out.add(g);
    }
    return out;
  }
}
