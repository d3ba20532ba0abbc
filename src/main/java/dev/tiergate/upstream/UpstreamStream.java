package dev.tiergate.upstream;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.stream.EventSource;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseFramer;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The events of one upstream SSE response as a {@link ReadStream}, with the idle and total
 * deadlines enforced here, where the upstream request lives. It first runs unobserved until the
 * first output event ({@link #open()}), so failures before that can still move to another backend.
 */
public final class UpstreamStream implements EventSource {
  /** Read ahead at most this many events before pausing the socket. */
  private static final int QUEUE_HIGH = 32;

  private final Vertx vertx;
  private final HttpClientRequest request;
  private final HttpClientResponse response;
  private final SseFramer framer;
  private final AttemptLease lease;
  private final EngineAdapter adapter;
  private final long idleMs;
  private final Runnable onOversized;
  private final ArrayDeque<SseEvent> queue = new ArrayDeque<>();
  private final Promise<List<SseEvent>> opened = Promise.promise();
  private Handler<SseEvent> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private boolean paused = true;
  private boolean ended;
  private boolean terminal;
  private Throwable failure;
  private boolean delivered;
  private boolean sawDone;
  private boolean sawError;
  /**
   * The event that decides how the stream opens, judged in stream order as events are taken: the first
   * output (or end) event, or an error event before any output; null while neither came, and again once
   * the stream opened (it must not keep a network buffer alive). Judging each event once, in order, makes
   * the verdict the same however the upstream's bytes were split into reads.
   */
  private SseEvent decisive;
  private long idleTimer = -1;
  private long totalTimer = -1;
  /**
   * When the upstream last sent bytes; the idle timer re-arms itself from it instead of per chunk.
   * Volatile because the prober reads it from another thread to tell a busy engine from a wedged one.
   */
  private volatile long lastDataNanos = System.nanoTime();

  UpstreamStream(Vertx vertx, HttpClientRequest request, HttpClientResponse response, SseFramer framer,
      AttemptLease lease, EngineAdapter adapter, long idleMs, long totalRemainingMs, Runnable onOversized) {
    this.vertx = vertx;
    this.request = request;
    this.response = response;
    this.framer = framer;
    this.lease = lease;
    this.adapter = adapter;
    this.idleMs = idleMs;
    this.onOversized = onOversized;
    this.totalTimer = vertx.setTimer(Math.max(1, totalRemainingMs),
        // The request's own time ran out; a stream that ran that long says nothing bad about the engine.
        id -> fail(GatewayError.of(Kind.UPSTREAM_TIMEOUT, "upstream exceeded the total deadline of this tier"),
            AttemptResult.OUT_OF_TIME));
  }

  long lastDataNanos() {
    return lastDataNanos;
  }

  /** Reads until the first output event (or the end); fails on an error event before output. */
  Future<List<SseEvent>> open() {
    response.handler(this::onChunk);
    response.endHandler(v -> onEnd());
    response.exceptionHandler(t -> fail(GatewayError.of(Kind.UPSTREAM_ERROR, "connection to upstream lost: " + t.getMessage())));
    return opened.future();
  }

  private void onChunk(Buffer chunk) {
    if (terminal) {
      return;
    }
    armIdle();
    try {
      framer.feed(chunk, this::take);
    } catch (SseFramer.OversizedEventException e) {
      // Our limit, not the engine's failure: the backend is not charged for it.
      onOversized.run();
      fail(GatewayError.of(Kind.UPSTREAM_TOO_LARGE, e.getMessage() + " (server.maxEventBytes)"), AttemptResult.TOO_LARGE);
      return;
    }
    afterData();
  }

  private void onEnd() {
    if (terminal) {
      return;
    }
    framer.finish(this::take);
    ended = true;
    terminal = true;
    clearTimers();
    // An engine that reported an error is alive and answering (the request may be the cause): the
    // fleet checks it with a known-good request. One that closed without [DONE] broke the stream.
    lease.finish(sawError ? AttemptResult.ENGINE_ERROR : sawDone ? AttemptResult.OK : AttemptResult.SERVER_ERROR);
    afterData();
  }

  private void take(SseEvent e) {
    queue.add(e);
    sawDone |= e.is(SseEvent.DONE);
    sawError |= e.is(SseEvent.ERROR);
    if (decisive == null && !opened.future().isComplete()
        && (e.is(SseEvent.OUTPUT) || e.is(SseEvent.DONE) || e.is(SseEvent.ERROR))) {
      decisive = e;
    }
  }

  private void afterData() {
    if (!opened.future().isComplete()) {
      checkOpened();
      return;
    }
    drain();
    if (queue.size() >= QUEUE_HIGH && !terminal) {
      response.pause();
    }
  }

  /**
   * An error event before the first output fails the attempt (it can still move on, and the client gets a
   * status); an error after it is the stream's to relay, even when both came in the same read.
   */
  private void checkOpened() {
    SseEvent first = decisive;
    if (first != null && first.is(SseEvent.ERROR) && !first.is(SseEvent.OUTPUT)) {
      GatewayError err = adapter.error(500, first.data());
      cancelQuietly(err.retryable() ? AttemptResult.ENGINE_ERROR : AttemptResult.CLIENT_ERROR);
      opened.tryFail(err);
      return;
    }
    if (first != null || ended) {
      if (!terminal) {
        response.pause();
      }
      List<SseEvent> held = new ArrayList<>(queue);
      queue.clear();
      decisive = null;
      opened.complete(held);
    } else if (queue.size() >= QUEUE_HIGH) {
      // Many events and still no output: stop reading; the TTFT deadline decides.
      response.pause();
    }
  }

  private void drain() {
    while (!paused && handler != null && !queue.isEmpty()) {
      handler.handle(queue.poll());
    }
    if (paused || !queue.isEmpty() || delivered) {
      return;
    }
    if (ended) {
      delivered = true;
      if (endHandler != null) {
        endHandler.handle(null);
      }
    } else if (failure != null) {
      delivered = true;
      if (exceptionHandler != null) {
        exceptionHandler.handle(failure);
      }
    }
  }

  void fail(Throwable t) {
    boolean timeout = t instanceof GatewayError g && g.kind() == Kind.UPSTREAM_TIMEOUT;
    fail(t, timeout ? AttemptResult.TIMEOUT : AttemptResult.SERVER_ERROR);
  }

  private void fail(Throwable t, AttemptResult result) {
    if (terminal) {
      return;
    }
    cancelQuietly(result);
    failure = t;
    if (!opened.future().isComplete()) {
      opened.tryFail(t);
      return;
    }
    drain();
  }

  /** Tears the upstream down without telling anyone but the tracker. */
  void cancelQuietly(AttemptResult result) {
    if (terminal && ended) {
      return;
    }
    terminal = true;
    clearTimers();
    request.reset();
    lease.finish(result);
  }

  @Override
  public void cancel() {
    cancelQuietly(AttemptResult.CANCELLED);
    handler = null;
    endHandler = null;
    exceptionHandler = null;
  }

  /**
   * Restarts the idle clock. A timer per chunk would cost a schedule and a cancel on every event,
   * so one timer stays armed and, when it fires early, re-arms for the time that is left.
   */
  private void armIdle() {
    lastDataNanos = System.nanoTime();
    if (idleTimer < 0) {
      scheduleIdle(idleMs);
    }
  }

  private void scheduleIdle(long delayMs) {
    idleTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      idleTimer = -1;
      if (terminal || paused && opened.future().isComplete()) {
        return;
      }
      long idle = (System.nanoTime() - lastDataNanos) / 1_000_000;
      if (idle >= idleMs) {
        fail(GatewayError.of(Kind.UPSTREAM_TIMEOUT, "upstream sent nothing for " + idleMs + " ms (idle deadline)"));
      } else {
        scheduleIdle(idleMs - idle);
      }
    });
  }

  private void clearTimers() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
    if (totalTimer >= 0) {
      vertx.cancelTimer(totalTimer);
      totalTimer = -1;
    }
  }

  @Override
  public UpstreamStream exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
    return this;
  }

  @Override
  public UpstreamStream handler(Handler<SseEvent> h) {
    handler = h;
    return this;
  }

  @Override
  public UpstreamStream pause() {
    paused = true;
    if (!terminal) {
      response.pause();
      if (idleTimer >= 0) {
        vertx.cancelTimer(idleTimer);
        idleTimer = -1;
      }
    }
    return this;
  }

  @Override
  public UpstreamStream resume() {
    paused = false;
    drain();
    if (!terminal && !paused && queue.size() < QUEUE_HIGH) {
      armIdle();
      response.resume();
    }
    return this;
  }

  @Override
  public UpstreamStream fetch(long amount) {
    return resume();
  }

  @Override
  public UpstreamStream endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }
}
