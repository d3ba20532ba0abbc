package dev.tiergate.upstream;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.stream.SseFramer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * One client request's journey upstream: try the targets in order, each under its deadlines, and
 * move on after a refused connection, a 5xx/503, or a TTFT deadline — all before anything reached
 * the client. The first target that produces output (or a complete body) wins.
 */
public final class UpstreamCall {
  /** What to send and how much to accept back; {@code clientHeaders} are filtered by {@link ForwardedHeaders}. */
  public record Spec(String path, RequestBody body, boolean stream, int maxTokens, long maxResponseBytes, int maxEventBytes,
      MultiMap clientHeaders) {}

  private final Vertx vertx;
  private final UpstreamClients clients;
  private final BackendTracker tracker;
  private final Spec spec;
  private final List<Target> targets;
  private final Promise<UpstreamResult> result = Promise.promise();
  private final List<String> failures = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private Attempt current;
  private boolean cancelled;

  public UpstreamCall(Vertx vertx, UpstreamClients clients, BackendTracker tracker, Spec spec, List<Target> targets) {
    this.vertx = vertx;
    this.clients = clients;
    this.tracker = tracker;
    this.spec = spec;
    this.targets = targets;
  }

  public Future<UpstreamResult> open() {
    next(0, null);
    return result.future();
  }

  /** Backends that were tried and failed, as "name:why", in order. */
  public List<String> failures() {
    return failures;
  }

  /** The client left before the response was committed: abort whatever is in flight. */
  public void cancel() {
    if (cancelled || result.future().isComplete()) {
      return;
    }
    cancelled = true;
    if (current != null) {
      current.abort(AttemptResult.CANCELLED);
    }
    result.tryFail(GatewayError.of(Kind.CLIENT_CLOSED, "client closed the request"));
  }

  private void next(int index, GatewayError last) {
    if (cancelled) {
      return;
    }
    if (index >= targets.size()) {
      result.tryFail(last != null ? last : GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "no backend to try"));
      return;
    }
    current = new Attempt(index, targets.get(index));
    current.start();
  }

  private final class Attempt {
    private final int index;
    private final Target target;
    private final AttemptLease lease;
    private final EngineAdapter adapter;
    private HttpClientRequest request;
    private UpstreamStream stream;
    private long deadline = -1;
    private long sentNanos;
    private boolean over;

    Attempt(int index, Target target) {
      this.index = index;
      this.target = target;
      this.lease = new AttemptLease(tracker, target.backend().name());
      this.adapter = Adapters.of(target.backend().engine());
    }

    void start() {
      if (lease.refused()) {
        // Not a fault of the backend: it is recovering, and another request is its one trial.
        over = true;
        next(index + 1, GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "backend '" + target.backend().name()
            + "' is recovering (half-open circuit) and its one trial request is in flight"));
        return;
      }
      Buffer body = adapter.requestBody(spec.body(), target.backend(), spec.stream());
      RequestOptions options = new RequestOptions();
      ForwardedHeaders.copy(spec.clientHeaders(), options);
      clients.origin(target.backend()).target(options, spec.path())
          .setMethod(HttpMethod.POST)
          .setConnectTimeout(target.timeouts().connectMs())
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.ACCEPT, spec.stream() ? "text/event-stream" : "application/json");
      Credentials.apply(target.backend(), options);
      long budget = spec.stream() ? target.timeouts().ttftMs() : remainingTotalMs(target);
      deadline = vertx.setTimer(Math.max(1, budget), id -> {
        deadline = -1;
        String what = spec.stream() ? "no output within the TTFT deadline of " : "no response within ";
        failed(AttemptResult.TIMEOUT, GatewayError.of(Kind.UPSTREAM_TIMEOUT,
            "backend '" + target.backend().name() + "' sent " + what + budget + " ms"));
      });
      Future<HttpClientRequest> requested;
      try {
        requested = clients.of(target.backend()).request(options);
      } catch (IllegalStateException closed) {
        // Vert.x throws rather than failing the future once the client is closed (shutdown).
        failed(AttemptResult.CANCELLED, GatewayError.of(Kind.SHUTTING_DOWN, "the gateway is shutting down"));
        return;
      }
      requested.onComplete(ar -> {
        if (ar.failed()) {
          failed(AttemptResult.CONNECT_FAILURE, GatewayError.of(Kind.UPSTREAM_UNAVAILABLE,
              "cannot connect to backend '" + target.backend().name() + "': " + ar.cause().getMessage()));
          return;
        }
        request = ar.result();
        if (over) {
          request.reset();
          return;
        }
        sentNanos = System.nanoTime();
        request.send(body).onComplete(r -> {
          if (r.failed()) {
            failed(AttemptResult.SERVER_ERROR, GatewayError.of(Kind.UPSTREAM_ERROR,
                "backend '" + target.backend().name() + "' closed the connection: " + r.cause().getMessage()));
          } else if (!over) {
            onResponse(r.result());
          }
        });
      });
    }

    private void onResponse(HttpClientResponse response) {
      int status = response.statusCode();
      String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
      boolean sse = type != null && type.startsWith("text/event-stream");
      if (status / 100 != 2) {
        readBounded(response, 64 * 1024).onComplete(ar -> {
          GatewayError err = adapter.error(status, ar.succeeded() ? ar.result() : Buffer.buffer());
          failed(err.retryable() ? AttemptResult.SERVER_ERROR : AttemptResult.CLIENT_ERROR, err);
        });
      } else if (spec.stream() && sse) {
        stream = new UpstreamStream(vertx, request, response, new SseFramer(spec.maxEventBytes()), lease, adapter,
            target.timeouts().idleMs(), remainingTotalMs(target));
        stream.open().onComplete(ar -> {
          if (ar.succeeded()) {
            succeed(new UpstreamResult.Streaming(target, index, sentNanos, stream, ar.result()));
          } else {
            GatewayError err = GatewayError.from(ar.cause());
            failed(err.retryable() ? AttemptResult.SERVER_ERROR : AttemptResult.CLIENT_ERROR, err);
          }
        });
      } else {
        readBounded(response, spec.maxResponseBytes()).onComplete(ar -> {
          if (ar.failed()) {
            failed(AttemptResult.SERVER_ERROR, GatewayError.from(ar.cause()));
          } else {
            lease.finish(AttemptResult.OK);
            succeed(new UpstreamResult.Complete(target, index, sentNanos, status, ar.result()));
          }
        });
      }
    }

    private void succeed(UpstreamResult r) {
      if (over) {
        return;
      }
      over = true;
      clearDeadline();
      lease.proven();
      if (!result.tryComplete(r) && stream != null) {
        stream.cancel();
      }
    }

    private void failed(AttemptResult why, GatewayError err) {
      if (over) {
        return;
      }
      abort(why);
      failures.add(target.backend().name() + ":" + why.name().toLowerCase());
      if (err.retryable()) {
        next(index + 1, err);
      } else {
        result.tryFail(err);
      }
    }

    void abort(AttemptResult why) {
      if (over) {
        return;
      }
      over = true;
      clearDeadline();
      if (stream != null) {
        stream.cancelQuietly(why);
      } else if (request != null) {
        request.reset();
      }
      lease.finish(why);
    }

    private void clearDeadline() {
      if (deadline >= 0) {
        vertx.cancelTimer(deadline);
        deadline = -1;
      }
    }

    private Future<Buffer> readBounded(HttpClientResponse response, long cap) {
      Promise<Buffer> p = Promise.promise();
      Buffer acc = Buffer.buffer();
      response.handler(chunk -> {
        if (acc.length() + chunk.length() > cap) {
          if (p.tryFail(GatewayError.of(Kind.UPSTREAM_ERROR, "upstream response exceeds " + cap + " bytes"))) {
            request.reset();
          }
          return;
        }
        acc.appendBuffer(chunk);
      });
      response.exceptionHandler(t -> p.tryFail(GatewayError.of(Kind.UPSTREAM_ERROR, "connection to upstream lost: " + t.getMessage())));
      response.endHandler(v -> p.tryComplete(acc));
      return p.future();
    }
  }

  /** The total deadline runs from the call's start, with the answering tier's own limit. */
  private long remainingTotalMs(Target target) {
    long total = target.timeouts().totalMs();
    return Math.max(1, total - (System.nanoTime() - startNanos) / 1_000_000);
  }

  /** Accepts a base URL with or without the {@code /v1} suffix that OpenAI clients are used to. */
  static String baseUrl(String url) {
    String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return u.endsWith("/v1") ? u.substring(0, u.length() - 3) : u;
  }
}
