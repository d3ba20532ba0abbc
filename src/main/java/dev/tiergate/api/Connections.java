package dev.tiergate.api;

import dev.tiergate.config.ServerConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.metrics.Limit;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client connections of one event loop, bounded in number and in idle time. A connection must
 * present a request head within {@code headerTimeoutMs} of opening, and its next one within
 * {@code keepAliveTimeoutMs} of the last response; past {@code maxConnections} (counted across all
 * event loops) a new connection's first request is answered 503 and the connection closed, so
 * idle or slow clients cannot hold every file descriptor. Confined to its event loop.
 */
final class Connections {
  /** How long the rest of an unread body is drained before its connection is closed anyway. */
  private static final long LINGER_MS = 5_000;
  /**
   * An answered request's unread body up to this size is read and dropped and its connection kept
   * (as nginx discards a body): a client whose key is wrong is not made to reconnect for every retry.
   */
  static final long DISCARD_MAX_BYTES = 64 * 1024;
  /** A connection over the limit gets this long to send the request we answer with 503. */
  private static final long OVER_LIMIT_GRACE_MS = 1_000;

  private final Vertx vertx;
  private final ServerConfig server;
  private final AtomicInteger open;
  private final GatewayMetrics metrics;
  private final Map<HttpConnection, Conn> conns = new HashMap<>();

  Connections(Vertx vertx, ServerConfig server, AtomicInteger open, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.server = server;
    this.open = open;
    this.metrics = metrics;
  }

  void accept(HttpConnection c) {
    boolean over = open.incrementAndGet() > server.maxConnections();
    Conn s = new Conn(c, over);
    conns.put(c, s);
    c.closeHandler(v -> {
      open.decrementAndGet();
      s.cancel();
      conns.remove(c);
    });
    if (over) {
      metrics.limitHit(Limit.CONNECTIONS);
      s.arm(Math.min(OVER_LIMIT_GRACE_MS, server.headerTimeoutMs()), null);
    } else {
      s.arm(server.headerTimeoutMs(), Limit.HEADER_TIMEOUT);
    }
  }

  /** A request head arrived; false when it was answered here because its connection is over the limit. */
  boolean begin(HttpServerRequest req) {
    Conn s = conns.get(req.connection());
    if (s == null) {
      return true;
    }
    s.cancel();
    s.active++;
    req.response().endHandler(v -> s.ended());
    if (s.over) {
      GatewayError e = GatewayError.of(Kind.OVERLOADED, "the gateway has " + server.maxConnections()
          + " client connections open (server.maxConnections); retry shortly");
      req.response().putHeader(HttpHeaders.CONNECTION, "close");
      Responses.error(req.response(), e, 1);
      // The header alone closes nothing: Vert.x keeps an HTTP/1.1 connection open unless the request
      // asked otherwise, and a client that ignores the header would keep holding the slot.
      closeAfterBody(vertx, req);
      return false;
    }
    return true;
  }

  int open() {
    return open.get();
  }

  /**
   * The request is answered before its body was read. A small announced body is read and dropped
   * and the connection kept for the next request. Anything else cannot carry another request: a
   * large or chunked body, or one held back behind {@code Expect: 100-continue} (its client may send
   * it, or send its next request instead, and the two cannot be told apart).
   * Closing at once would make the kernel reset it and the client could lose our answer; like
   * nginx, read and drop the rest for a while, then close.
   */
  static void finishUnread(Exchange x) {
    long declared = ReadStage.declaredLength(x.request);
    boolean expects = x.request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true);
    if (!x.bodyStarted && !expects && declared >= 0 && declared <= DISCARD_MAX_BYTES) {
      discard(x.ctx.vertx(), x.request);
    } else {
      lingeringClose(x.ctx.vertx(), x.request);
    }
  }

  /** Closes after the rest of the body (for a request outside the pipeline, before its answer is written). */
  static void lingeringClose(Vertx vertx, HttpServerRequest req) {
    req.response().putHeader(HttpHeaders.CONNECTION, "close");
    if (req.isEnded()) {
      return;
    }
    closeAfterBody(vertx, req);
  }

  /** Drops the rest of a body that was announced to be small; a client that never sends it loses the connection. */
  private static void discard(Vertx vertx, HttpServerRequest req) {
    long timer = vertx.setTimer(LINGER_MS, id -> req.connection().close());
    req.handler(dropped -> { });
    req.endHandler(v -> vertx.cancelTimer(timer));
    req.exceptionHandler(t -> vertx.cancelTimer(timer));
    req.resume();
  }

  /** Closes the connection once the rest of the request's body was read and dropped, or after {@link #LINGER_MS}. */
  private static void closeAfterBody(Vertx vertx, HttpServerRequest req) {
    if (req.isEnded()) {
      req.connection().close();
      return;
    }
    long timer = vertx.setTimer(LINGER_MS, id -> req.connection().close());
    req.handler(dropped -> { });
    req.endHandler(v -> {
      vertx.cancelTimer(timer);
      req.connection().close();
    });
    req.exceptionHandler(t -> vertx.cancelTimer(timer));
    req.resume();
  }

  private final class Conn {
    private final HttpConnection connection;
    private final boolean over;
    private int active;
    private long timer = -1;

    Conn(HttpConnection connection, boolean over) {
      this.connection = connection;
      this.over = over;
    }

    void ended() {
      if (--active == 0) {
        arm(server.keepAliveTimeoutMs(), Limit.KEEP_ALIVE_IDLE);
      }
    }

    /** @param limit what to count when the timer closes the connection; null counts nothing more */
    void arm(long ms, Limit limit) {
      cancel();
      timer = vertx.setTimer(ms, id -> {
        timer = -1;
        if (active == 0) {
          if (limit != null) {
            metrics.limitHit(limit);
          }
          connection.close();
        }
      });
    }

    void cancel() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }
}
