package dev.tiergate.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake engine that answers with a real engine's captured bytes ({@link Transcript}), on its own
 * Vert.x instance so that it can start before the gateway that points at it. It also records every
 * request it receives (headers included), which makes it the "tiny capture server" of header tests.
 *
 * <p>Which capture answers a generation request: the one set with {@link #answer}, or the one named
 * by the request's {@code x-replay} header (the gateway passes client headers on, so a test picks
 * the capture per request). Further request headers shape the delivery:
 * <ul>
 *   <li>{@code x-replay-gap-ms: N} — wait N ms after the first event of a stream (e.g. the role chunk);
 *   <li>{@code x-replay-end: hold} — after the last byte, keep the connection open and never end the
 *       response, like an engine still generating (see {@link #peerClosed()}); {@code cut} — close the
 *       connection after the last byte, like an engine that died.
 * </ul>
 * {@code GET /health}, {@code /v1/models} and {@code /props} answer with captures 01, 02 and 03b
 * ({@code /props} only when the constructor says so); any other path with capture 09c (404).
 */
public final class ReplayServer implements AutoCloseable {
  /** One request as the engine saw it. */
  public record Received(HttpMethod method, String path, MultiMap headers, String body) {}

  private final Vertx vertx;
  private final boolean serveProps;
  private final Map<String, String> answers = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger peerClosed = new AtomicInteger();
  private final AtomicInteger held = new AtomicInteger();
  private HttpServer server;

  private ReplayServer(boolean serveProps) {
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    this.serveProps = serveProps;
  }

  /** A replay engine that also reports its context window ({@code /props}, capture 03b: 1024 tokens). */
  public static ReplayServer llamacpp() {
    return start(true);
  }

  /** A replay engine whose window the gateway cannot discover ({@code /props} answers 404). */
  public static ReplayServer llamacppWithoutProps() {
    return start(false);
  }

  private static ReplayServer start(boolean serveProps) {
    ReplayServer r = new ReplayServer(serveProps);
    r.server = TestGateway.await(r.vertx.createHttpServer().requestHandler(r::handle).listen(0, "127.0.0.1"));
    return r;
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** The capture that answers POSTs to {@code path} without an {@code x-replay} header. */
  public ReplayServer answer(String path, String transcript) {
    answers.put(path, transcript);
    return this;
  }

  public List<Received> received() {
    return new ArrayList<>(received);
  }

  /** Requests to one path, in order. */
  public List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** How many held responses ({@code x-replay-end: hold}) the peer closed before they ended. */
  public int peerClosed() {
    return peerClosed.get();
  }

  /** How many responses are being held open now. */
  public int held() {
    return held.get();
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      received.add(new Received(req.method(), req.path(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
          body.toString()));
      String name = req.headers().get("x-replay");
      if (name == null) {
        name = switch (req.method().name() + " " + req.path()) {
          case "GET /health" -> "01_health";
          case "GET /v1/models" -> "02_v1_models";
          case "GET /props" -> serveProps ? "03b_props" : "09c_unknown_route";
          default -> req.method() == HttpMethod.POST ? answers.getOrDefault(req.path(), "09c_unknown_route")
              : "09c_unknown_route";
        };
      }
      replay(req, Transcript.llamacpp(name));
    });
  }

  private void replay(HttpServerRequest req, Transcript t) {
    HttpServerResponse resp = req.response().setStatusCode(t.status());
    t.headers().forEach((k, v) -> {
      if (!k.equals("content-length") && !k.equals("transfer-encoding") && !k.equals("keep-alive")) {
        resp.putHeader(k, v);
      }
    });
    if (!t.isStream()) {
      resp.end(Buffer.buffer(t.body()));
      return;
    }
    resp.setChunked(true);
    List<byte[]> events = t.rawEvents();
    long gap = Long.parseLong(req.headers().get("x-replay-gap-ms") == null ? "0" : req.headers().get("x-replay-gap-ms"));
    String end = req.headers().get("x-replay-end") == null ? "end" : req.headers().get("x-replay-end");
    resp.write(Buffer.buffer(events.get(0)));
    Runnable rest = () -> {
      if (resp.closed()) {
        return;
      }
      for (int i = 1; i < events.size(); i++) {
        resp.write(Buffer.buffer(events.get(i)));
      }
      switch (end) {
        case "hold" -> {
          held.incrementAndGet();
          req.connection().closeHandler(v -> {
            held.decrementAndGet();
            peerClosed.incrementAndGet();
          });
        }
        case "cut" -> req.connection().close();
        default -> resp.end();
      }
    };
    if (gap > 0) {
      vertx.setTimer(gap, id -> rest.run());
    } else {
      rest.run();
    }
  }

  @Override
  public void close() {
    TestGateway.await(vertx.close());
  }
}
