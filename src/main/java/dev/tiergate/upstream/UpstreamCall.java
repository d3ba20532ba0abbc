package dev.tiergate.upstream;

import dev.tiergate.config.Api;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.stream.BufferBudget;
import dev.tiergate.stream.SseFramer;
import io.vertx.core.Context;
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
import java.util.function.Supplier;

/**
 * One client request's journey upstream: try the targets in order, each under a deadline of its
 * own, and move on after a refused connection, an engine failure or a first-output deadline — all
 * before anything reached the client. The first target that produces output (or a whole body)
 * wins. A backend is charged only for failures that are its own and only for time it was given.
 */
public final class UpstreamCall {
  /** A fallback is not tried with less than this (or the tier's TTFT deadline, if shorter) left. */
  static final long MIN_ATTEMPT_MS = 1_000;

  /**
   * What to send and how much to accept back; {@code clientHeaders} are filtered by
   * {@link ForwardedHeaders}; {@code budget} bounds the bytes of buffered responses; the two callbacks
   * tell the caller that an oversized event or the budget cut an answer (upstream cannot count them);
   * {@code promptTokens} and {@code interactive} are what the fleet needs to know of the work it carries.
   */
  public record Spec(Api api, RequestBody body, boolean stream, int maxTokens, long maxResponseBytes, int maxEventBytes,
      MultiMap clientHeaders, BufferBudget budget, Runnable onOversizedEvent, Runnable onBudgetRefused, long promptTokens,
      boolean interactive, Supplier<RequestBody> chat) {
    public Spec(String path, RequestBody body, boolean stream, int maxTokens, long maxResponseBytes, int maxEventBytes,
        MultiMap clientHeaders, BufferBudget budget) {
      this(apiOf(path), body, stream, maxTokens, maxResponseBytes, maxEventBytes, clientHeaders, budget, () -> { }, () -> { }, 0,
          true, null);
    }

    private static Api apiOf(String path) {
      for (Api a : Api.values()) {
        if (a.path().equals(path)) {
          return a;
        }
      }
      throw new IllegalArgumentException("no API at " + path);
    }
  }

  private final Vertx vertx;
  private final UpstreamClients clients;
  private final BackendTracker tracker;
  private final Spec spec;
  private final List<Target> targets;
  private final Promise<UpstreamResult> result = Promise.promise();
  private final List<String> failures = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private final Context context;
  /** Dropped once the call is decided, so a long stream does not keep its request body alive. */
  private RequestBody body;
  /** The chat form of the body for targets that translate; made once, dropped with the body. */
  private RequestBody chatBody;
  private Attempt current;
  private int lastAttempt = -1;
  private boolean cancelled;
  /** The last engine error, to stop at the second backend that rejects the request the same way. */
  private String lastEngineError;

  public UpstreamCall(Vertx vertx, UpstreamClients clients, BackendTracker tracker, Spec spec, List<Target> targets) {
    this.vertx = vertx;
    this.clients = clients;
    this.tracker = tracker;
    this.spec = spec;
    this.targets = targets;
    this.body = spec.body();
    this.context = vertx.getOrCreateContext();
    result.future().onComplete(ar -> {
      body = null;
      chatBody = null;
    });
  }

  public Future<UpstreamResult> open() {
    next(0, null);
    return result.future();
  }

  /** Backends that were tried and failed, as "name:why", in order. */
  public List<String> failures() {
    return failures;
  }

  /** Prompt tokens that were waiting on the answering backend when this request was sent to it. */
  public long aheadAtStart() {
    return current == null ? 0 : current.aheadAtStart;
  }

  /** Streams that were decoding on the answering backend when this request was sent to it. */
  public int decodingAtStart() {
    return current == null ? 0 : current.decodingAtStart;
  }

  /** Index of the target tried last (in flight or failed), -1 before the first attempt. */
  public int lastAttempt() {
    return lastAttempt;
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
    Target t = targets.get(index);
    if (index > 0 && remainingTotalMs(t) < Math.min(MIN_ATTEMPT_MS, t.timeouts().ttftMs())) {
      // A fallback with almost no time left would fail and be blamed for it; the client hears why.
      result.tryFail(last != null ? last : GatewayError.of(Kind.UPSTREAM_TIMEOUT, "the request's total deadline ran out"));
      return;
    }
    lastAttempt = index;
    current = new Attempt(index, t);
    current.start();
  }

  private final class Attempt implements LiveAttempt {
    private final int index;
    private final Target target;
    private final AttemptLease lease;
    private final EngineAdapter adapter;
    private final long started = System.nanoTime();
    private HttpClientRequest request;
    private UpstreamStream stream;
    private long deadline = -1;
    private long sentNanos;
    private volatile long headNanos;
    private volatile boolean output;
    private long aheadAtStart;
    private int decodingAtStart;
    private boolean over;
    /** A whole answer passed maxResponseBytes: a limit of ours, which a long answer (logprobs) reaches honestly. */
    private boolean overCap;

    Attempt(int index, Target target) {
      this.index = index;
      this.target = target;
      this.lease = new AttemptLease(tracker, target.backend().name(), this);
      this.adapter = Adapters.of(target.backend().engine());
    }

    void start() {
      if (lease.refused()) {
        // Not a fault of the backend: it is recovering, and another request is its one trial; or a reload removed it.
        over = true;
        next(index + 1, GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "backend '" + target.backend().name()
            + (lease.admission() == Admission.RETIRED ? "' was removed from the configuration by a reload"
                : "' is recovering (half-open circuit) and its one trial request is in flight")));
        return;
      }
      Buffer payload;
      Api api = target.translate() ? Api.CHAT : spec.api();
      try {
        payload = adapter.requestBody(target.translate() ? chatBody() : body, target.backend(), spec.stream(), api);
      } catch (GatewayError untranslatable) {
        // The request uses something only the API's own implementations have: the client's 400.
        abort(AttemptResult.CANCELLED);
        result.tryFail(untranslatable);
        return;
      }
      RequestOptions options = new RequestOptions();
      ForwardedHeaders.copy(spec.clientHeaders(), options);
      clients.origin(target.backend()).target(options, api.path())
          .setMethod(HttpMethod.POST)
          .setConnectTimeout(target.timeouts().connectMs())
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.ACCEPT, spec.stream() ? "text/event-stream" : "application/json");
      Credentials.apply(target.backend(), options);
      armFirstOutputDeadline();
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
        request.send(payload).onComplete(r -> {
          if (r.failed()) {
            failed(AttemptResult.SERVER_ERROR, GatewayError.of(Kind.UPSTREAM_ERROR,
                "backend '" + target.backend().name() + "' closed the connection: " + r.cause().getMessage()));
          } else if (!over) {
            headNanos = System.nanoTime();
            onResponse(r.result());
          }
        });
      });
    }

    /**
     * Streams must show output, whole responses must start, within the tier's TTFT deadline (engines
     * send a non-streamed answer's head only when it is complete). When the request's own total
     * time leaves less than that, the shorter deadline is the request's, not the backend's failure.
     */
    private void armFirstOutputDeadline() {
      long full = target.timeouts().ttftMs();
      long remaining = remainingTotalMs(target);
      long budget = Math.min(full, remaining);
      AttemptResult verdict = budget < full ? AttemptResult.OUT_OF_TIME : AttemptResult.TIMEOUT;
      deadline = vertx.setTimer(Math.max(1, budget), id -> {
        deadline = -1;
        String what = spec.stream() ? "no output within " : "no response within ";
        String why = verdict == AttemptResult.TIMEOUT ? "the TTFT deadline of " : "the time left of the request's total deadline, ";
        failed(verdict, GatewayError.of(Kind.UPSTREAM_TIMEOUT,
            "backend '" + target.backend().name() + "' sent " + what + why + budget + " ms"));
      });
    }

    private void onResponse(HttpClientResponse response) {
      int status = response.statusCode();
      String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
      boolean sse = type != null && type.startsWith("text/event-stream");
      if (status / 100 != 2) {
        readBounded(response, 64 * 1024, false).onComplete(ar -> engineRefused(status, ar.succeeded() ? ar.result() : Buffer.buffer()));
      } else if (spec.stream() && sse) {
        stream = new UpstreamStream(vertx, request, response, new SseFramer(spec.maxEventBytes()), lease, adapter,
            target.timeouts().idleMs(), remainingTotalMs(target), spec.onOversizedEvent());
        stream.open().onComplete(ar -> {
          if (ar.succeeded()) {
            output = true;
            succeed(new UpstreamResult.Streaming(target, index, sentNanos, stream, ar.result()));
          } else {
            GatewayError err = GatewayError.from(ar.cause());
            failed(err.kind() == Kind.UPSTREAM_TOO_LARGE ? AttemptResult.TOO_LARGE
                : err.retryable() ? AttemptResult.ENGINE_ERROR : AttemptResult.CLIENT_ERROR, err);
          }
        });
      } else {
        readBounded(response, spec.maxResponseBytes(), true).onComplete(ar -> {
          if (ar.failed()) {
            GatewayError err = GatewayError.from(ar.cause());
            // Our limits (the shared budget, maxResponseBytes) are no fault of the engine that produced the answer.
            failed(err.kind() == Kind.UPSTREAM_TOO_LARGE ? AttemptResult.TOO_LARGE
                : err.kind() == Kind.OVERLOADED || overCap ? AttemptResult.CANCELLED
                : err.kind() == Kind.UPSTREAM_TIMEOUT ? AttemptResult.TIMEOUT : AttemptResult.SERVER_ERROR, err);
          } else {
            Buffer whole = ar.result();
            output = true;
            lease.finish(AttemptResult.OK);
            succeed(new UpstreamResult.Complete(target, index, sentNanos, status, whole,
                () -> spec.budget().release(whole.length())));
          }
        });
      }
    }

    /** A non-2xx answer: the client's fault, the gateway's credentials, or the engine's own error. */
    private void engineRefused(int status, Buffer text) {
      GatewayError err = adapter.error(status, text);
      Api api = target.translate() ? Api.CHAT : spec.api();
      if (api != Api.CHAT && api != Api.COMPLETIONS && OpenAiAdapter.routeMissing(status, err.getMessage())) {
        // A build older than this API: another backend may have it (chat's 404 stays a misconfigured URL).
        err = GatewayError.of(Kind.UNSUPPORTED_ENDPOINT, "the engine does not serve " + api.path() + ": " + err.getMessage());
      }
      if (status == 401 || status == 403) {
        Log.credentialsRefused(target.backend().name(), status);
        failed(AttemptResult.SERVER_ERROR, GatewayError.of(Kind.UPSTREAM_AUTH, "backend '" + target.backend().name()
            + "' refused the gateway's credentials (HTTP " + status + "); the operator must check its apiKey"));
      } else if (err.kind() == Kind.UNSUPPORTED_ENDPOINT) {
        // The engine is fine, it only lacks this endpoint (no pooling model, an older build): try the next one.
        failed(AttemptResult.CLIENT_ERROR, err);
      } else if (!err.retryable()) {
        if (err.kind() == Kind.CONTEXT_LENGTH_EXCEEDED) {
          tracker.windowContradicted(target.backend().name());
        }
        failed(AttemptResult.CLIENT_ERROR, err);
      } else if (status >= 500 && status != 503 && looksLikeJson(text)) {
        failed(AttemptResult.ENGINE_ERROR, err);
      } else {
        failed(AttemptResult.SERVER_ERROR, err);
      }
    }

    private void succeed(UpstreamResult r) {
      if (over) {
        return;
      }
      over = true;
      clearDeadline();
      lease.proven();
      if (!result.tryComplete(r)) {
        if (stream != null) {
          stream.cancel();
        } else if (r instanceof UpstreamResult.Complete c) {
          c.release();
        }
      }
    }

    private void failed(AttemptResult why, GatewayError raw) {
      if (over) {
        return;
      }
      GatewayError err = clients.secrets().redact(raw);
      abort(why);
      failures.add(target.backend().name() + ":" + why.name().toLowerCase());
      if (why == AttemptResult.ENGINE_ERROR) {
        if (err.getMessage().equals(lastEngineError)) {
          // Two backends rejected the request in the same words: it is the request, not them; stop here.
          result.tryFail(err);
          return;
        }
        lastEngineError = err.getMessage();
      }
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

    /**
     * Reads a whole response. A 2xx body is held against the shared buffer budget, and from its head
     * on the deadline is the tier's idle gap between chunks: the engine has answered, it must not stall.
     */
    private Future<Buffer> readBounded(HttpClientResponse response, long cap, boolean reserve) {
      Promise<Buffer> p = Promise.promise();
      Buffer acc = Buffer.buffer();
      if (reserve) {
        armIdleDeadline(p, acc);
      }
      response.handler(chunk -> {
        if (p.future().isComplete()) {
          return;
        }
        if (acc.length() + chunk.length() > cap) {
          overCap = reserve;
          fail(p, acc, reserve, GatewayError.of(Kind.UPSTREAM_TOO_LARGE, "upstream response exceeds " + cap + " bytes"));
          return;
        }
        if (reserve && !spec.budget().tryReserve(chunk.length())) {
          spec.onBudgetRefused().run();
          fail(p, acc, reserve, GatewayError.of(Kind.OVERLOADED, "the gateway is holding its maximum of request and"
              + " response bodies in memory (server.maxBufferedBytes); retry shortly"));
          return;
        }
        acc.appendBuffer(chunk);
        headNanos = System.nanoTime();
        if (reserve) {
          armIdleDeadline(p, acc);
        }
      });
      response.exceptionHandler(t -> fail(p, acc, reserve,
          GatewayError.of(Kind.UPSTREAM_ERROR, "connection to upstream lost: " + t.getMessage())));
      response.endHandler(v -> p.tryComplete(acc));
      return p.future();
    }

    private void armIdleDeadline(Promise<Buffer> p, Buffer acc) {
      clearDeadline();
      long idle = target.timeouts().idleMs();
      deadline = vertx.setTimer(Math.max(1, idle), id -> {
        deadline = -1;
        fail(p, acc, true, GatewayError.of(Kind.UPSTREAM_TIMEOUT, "backend '" + target.backend().name()
            + "' stopped sending its response for " + idle + " ms (idle deadline)"));
      });
    }

    private void fail(Promise<Buffer> p, Buffer acc, boolean reserved, GatewayError e) {
      if (p.tryFail(e)) {
        if (reserved) {
          spec.budget().release(acc.length());
        }
        request.reset();
      }
    }

    @Override
    public long startedNanos() {
      return started;
    }

    @Override
    public long promptTokens() {
      return spec.promptTokens();
    }

    @Override
    public boolean interactive() {
      return spec.interactive();
    }

    @Override
    public void admitted(long prefillAhead, int decoding) {
      aheadAtStart = prefillAhead;
      decodingAtStart = decoding;
    }

    @Override
    public long lastActivityNanos() {
      UpstreamStream s = stream;
      return Math.max(Math.max(started, headNanos), s == null ? 0 : s.lastDataNanos());
    }

    @Override
    public boolean hasOutput() {
      return output;
    }

    @Override
    public void stalled(String why) {
      context.runOnContext(v -> {
        if (!output) {
          failed(AttemptResult.TIMEOUT, GatewayError.of(Kind.UPSTREAM_TIMEOUT,
              "backend '" + target.backend().name() + "' stopped serving: " + why));
        }
      });
    }
  }

  private static boolean looksLikeJson(Buffer b) {
    for (int i = 0; i < b.length(); i++) {
      byte c = b.getByte(i);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return c == '{';
      }
    }
    return false;
  }

  /** The total deadline runs from the call's start, with the answering tier's own limit. */
  private long remainingTotalMs(Target target) {
    long total = target.timeouts().totalMs();
    return Math.max(1, total - (System.nanoTime() - startNanos) / 1_000_000);
  }

  private RequestBody chatBody() {
    if (chatBody == null) {
      chatBody = spec.chat().get();
    }
    return chatBody;
  }

  /** Accepts a base URL with or without the {@code /v1} suffix that OpenAI clients are used to. */
  static String baseUrl(String url) {
    String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return u.endsWith("/v1") ? u.substring(0, u.length() - 3) : u;
  }
}
