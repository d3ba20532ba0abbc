package dev.tiergate.stream;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.function.Function;

/**
 * Pipes upstream events to the client with backpressure: a full client write queue pauses the
 * upstream read, a drained one resumes it. Events that arrive in the same turn of the event loop
 * go out in one write: Vert.x flushes every write to a connection other than the one being read,
 * so writing each event as it comes costs a syscall per event when the backend is ahead of us. A stream that ends without {@code [DONE]},
 * or fails, closes with an error event in the client API's shape rather than a fake success; a client that
 * leaves cancels the upstream at once. The returned future completes exactly once.
 */
public final class SseRelay {
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
  /** A batch larger than this is written at once rather than at the end of the read. */
  private static final int MAX_BATCH_BYTES = 64 * 1024;

  private final EventSource source;
  private final HttpServerResponse client;
  private final Function<SseEvent, Buffer> toClient;
  private final Function<Throwable, String> errorEvent;
  private final StreamListener listener;
  private final Promise<StreamOutcome> done = Promise.promise();
  private boolean sawDone;
  private boolean sawError;
  /** Rendered events not yet written: one event's own buffer, or a copy holding several. */
  private Buffer pending;
  private boolean pendingOwned;
  private Context context;
  private final Handler<Void> flushTask = v -> flush();
  /** Chat streams end with a literal {@code [DONE]}; a translating renderer closes the stream its own way. */
  private boolean plainDone = true;

  /**
   * @param toClient renders one event for the client, or returns null to drop it
   * @param errorEvent renders a failure as a complete SSE error event
   */
  public SseRelay(
      EventSource source,
      HttpServerResponse client,
      Function<SseEvent, Buffer> toClient,
      Function<Throwable, String> errorEvent,
      StreamListener listener) {
    this.source = source;
    this.client = client;
    this.toClient = toClient;
    this.errorEvent = errorEvent;
    this.listener = listener;
  }

  /** The renderer also renders the {@code [DONE]} sentinel (a translation emits its API's closing events there). */
  public SseRelay renderDone() {
    plainDone = false;
    return this;
  }

  /** Starts relaying; {@code held} are events read before the response was committed. */
  public Future<StreamOutcome> start(List<SseEvent> held) {
    context = Vertx.currentContext();
    client.closeHandler(v -> clientGone());
    client.exceptionHandler(t -> clientGone());
    client.drainHandler(v -> source.resume());
    source.exceptionHandler(this::upstreamFailed);
    source.endHandler(v -> upstreamEnded());
    for (SseEvent e : held) {
      relay(e);
    }
    flush();
    if (!done.future().isComplete()) {
      source.handler(this::relay);
      if (!client.writeQueueFull()) {
        source.resume(); // otherwise the drain handler resumes it
      }
    }
    return done.future();
  }

  private void relay(SseEvent event) {
    if (done.future().isComplete()) {
      return;
    }
    listener.onEvent(event, System.nanoTime());
    if (event.is(SseEvent.DONE)) {
      sawDone = true;
      // vLLM and SGLang send [DONE] even after an error event, llama.cpp does not; a client must
      // not read a failed stream as complete, so after an error the stream simply ends. A named
      // stream's last event (message_stop, response.completed) is rendered like any other.
      if (!sawError) {
        Buffer out = event.event() == null && plainDone ? DONE : toClient.apply(event);
        if (out != null) {
          add(out);
        }
      }
      return;
    }
    sawError |= event.is(SseEvent.ERROR);
    Buffer out = toClient.apply(event);
    if (out != null) {
      add(out);
    }
  }

  private void add(Buffer out) {
    if (pending == null) {
      pending = out;
      pendingOwned = false;
      // Runs after the event loop has handled the rest of this read (and any other ready sockets).
      if (context != null) {
        context.runOnContext(flushTask);
      }
    } else {
      if (!pendingOwned) {
        int size = pending.length() + out.length();
        pending = Buffer.buffer(Math.max(size, Math.min(4 * size, MAX_BATCH_BYTES))).appendBuffer(pending);
        pendingOwned = true;
      }
      pending.appendBuffer(out);
    }
    if (context == null || pending.length() >= MAX_BATCH_BYTES) {
      flush();
    }
  }

  private void flush() {
    if (pending == null) {
      return;
    }
    Buffer out = pending;
    pending = null;
    if (done.future().isComplete()) {
      return;
    }
    client.write(out);
    if (client.writeQueueFull()) {
      source.pause();
    }
  }

  /** Ends the stream from the gateway's side (shutdown): error event, upstream cancelled. */
  public void cut(Throwable why) {
    if (!done.future().isComplete()) {
      source.cancel();
      finish(StreamOutcome.SHUT_DOWN, why);
    }
  }

  private void upstreamEnded() {
    if (sawError) {
      finish(StreamOutcome.UPSTREAM_ERROR, null); // the engine's error event already told the client
    } else if (sawDone) {
      finish(StreamOutcome.OK, null);
    } else {
      finish(StreamOutcome.UPSTREAM_ERROR,
          GatewayError.of(GatewayError.Kind.UPSTREAM_ERROR, "upstream ended the stream without [DONE]"));
    }
  }

  private void upstreamFailed(Throwable t) {
    boolean timeout = t instanceof GatewayError g && g.kind() == GatewayError.Kind.UPSTREAM_TIMEOUT;
    finish(timeout ? StreamOutcome.TIMEOUT : StreamOutcome.UPSTREAM_ERROR, t);
  }

  private void clientGone() {
    if (!done.future().isComplete()) {
      pending = null;
      source.cancel();
      complete(StreamOutcome.CANCELLED);
    }
  }

  private void finish(StreamOutcome outcome, Throwable failure) {
    if (done.future().isComplete()) {
      return;
    }
    if (failure != null && !sawError) {
      add(Buffer.buffer(errorEvent.apply(failure)));
    }
    flush();
    complete(outcome);
    client.end();
  }

  private void complete(StreamOutcome outcome) {
    listener.onEnd(outcome, System.nanoTime());
    done.complete(outcome);
  }
}
