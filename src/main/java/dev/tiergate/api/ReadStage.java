package dev.tiergate.api;

import dev.tiergate.config.ServerConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.metrics.Limit;
import dev.tiergate.stream.BufferBudget;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads the whole body under three bounds: its own size ({@code maxBodyBytes}), the time it may
 * take to arrive ({@code bodyTimeoutMs}, so a client trickling a byte at a time cannot hold a
 * request open), and the memory all requests together may hold ({@code maxBufferedBytes}): a body
 * that would not fit is refused with a fast 503 rather than read into an exhausted heap.
 */
final class ReadStage implements Stage {
  private final ServerConfig server;
  private final BufferBudget budget;
  private final GatewayMetrics metrics;

  ReadStage(ServerConfig server, BufferBudget budget, GatewayMetrics metrics) {
    this.server = server;
    this.budget = budget;
    this.metrics = metrics;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    HttpServerRequest req = x.request;
    long declared = declaredLength(req);
    if (declared > 0) {
      reserve(x, declared);
    }
    if (req.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
      // The client holds its body back until told (curl for a second, others longer). The head passed every
      // check a head can fail (type, size, memory), so tell it now; a refusal above went out instead of this.
      x.response.writeContinue();
    }
    Promise<Void> read = Promise.promise();
    long max = server.maxBodyBytes();
    Buffer body = Buffer.buffer((int) Math.min(max, declared > 0 ? declared : 1024));
    long timer = x.ctx.vertx().setTimer(server.bodyTimeoutMs(), id -> {
      if (read.tryFail(GatewayError.of(Kind.REQUEST_TIMEOUT, "The request body did not arrive within "
          + server.bodyTimeoutMs() + " ms (server.bodyTimeoutMs)."))) {
        metrics.limitHit(Limit.BODY_TIMEOUT);
      }
    });
    x.bodyStarted = true;
    req.handler(chunk -> {
      if (read.future().isComplete()) {
        return;
      }
      try {
        if (body.length() + chunk.length() > max) {
          metrics.limitHit(Limit.BODY_SIZE);
          throw tooLarge(max);
        }
        if (declared < 0) {
          reserve(x, chunk.length());
        }
        body.appendBuffer(chunk);
      } catch (GatewayError e) {
        x.ctx.vertx().cancelTimer(timer);
        read.tryFail(e);
      }
    });
    req.exceptionHandler(t -> {
      x.ctx.vertx().cancelTimer(timer);
      read.tryFail(GatewayError.of(Kind.CLIENT_CLOSED, "the client closed the connection while sending the body"));
    });
    req.endHandler(v -> {
      x.ctx.vertx().cancelTimer(timer);
      if (!read.future().isComplete()) {
        // Set before completing: completion runs the next stages at once.
        x.body = body;
        x.recorder.received(System.nanoTime());
        read.complete();
      }
    });
    req.resume();
    return read.future();
  }

  private void reserve(Exchange x, long bytes) {
    if (!budget.tryReserve(bytes)) {
      metrics.limitHit(Limit.BUFFERED_BYTES);
      throw GatewayError.of(Kind.OVERLOADED, "the gateway is holding its maximum of request and response bodies in memory"
          + " (server.maxBufferedBytes = " + budget.capacity() + "); retry shortly");
    }
    x.holding(budget, bytes);
  }

  /** The announced body length, or -1 when the body is chunked or the header is absent or malformed. */
  static long declaredLength(HttpServerRequest req) {
    String v = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (v == null) {
      return -1;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static GatewayError tooLarge(long limit) {
    return GatewayError.of(Kind.PAYLOAD_TOO_LARGE, "The request body exceeds the limit of " + limit + " bytes.");
  }
}
