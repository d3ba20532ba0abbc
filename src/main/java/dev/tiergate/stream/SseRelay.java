package dev.tiergate.stream;

import dev.tiergate.errors.GatewayError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.ReadStream;
import java.util.List;
import java.util.function.Function;

/**
 * Pipes upstream events to the client one by one with backpressure: a full client write queue
 * pauses the upstream read, a drained one resumes it. A stream that ends without {@code [DONE]},
 * or fails, closes with an OpenAI-style error event rather than a fake success; a client that
 * leaves cancels the upstream at once. The returned future completes exactly once.
 */
public final class SseRelay {
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private final ReadStream<SseEvent> source;
  private final Cancellable upstream;
  private final HttpServerResponse client;
  private final Function<SseEvent, Buffer> toClient;
  private final Function<Throwable, String> errorEvent;
  private final StreamListener listener;
  private final Promise<StreamOutcome> done = Promise.promise();
  private boolean sawDone;
  private boolean sawError;

  /**
   * @param toClient renders one event for the client, or returns null to drop it
   * @param errorEvent renders a failure as a complete SSE error event
   */
  public SseRelay(
      ReadStream<SseEvent> source,
      Cancellable upstream,
      HttpServerResponse client,
      Function<SseEvent, Buffer> toClient,
      Function<Throwable, String> errorEvent,
      StreamListener listener) {
    this.source = source;
    this.upstream = upstream;
    this.client = client;
    this.toClient = toClient;
    this.errorEvent = errorEvent;
    this.listener = listener;
  }

  /** Starts relaying; {@code held} are events read before the response was committed. */
  public Future<StreamOutcome> start(List<SseEvent> held) {
    client.closeHandler(v -> clientGone());
    client.exceptionHandler(t -> clientGone());
    client.drainHandler(v -> source.resume());
    source.exceptionHandler(this::upstreamFailed);
    source.endHandler(v -> upstreamEnded());
    for (SseEvent e : held) {
      relay(e);
    }
    if (!done.future().isComplete()) {
      source.handler(this::relay);
      source.resume();
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
      // not read a failed stream as complete, so after an error the stream simply ends.
      if (!sawError) {
        client.write(DONE);
      }
      return;
    }
    sawError |= event.is(SseEvent.ERROR);
    Buffer out = toClient.apply(event);
    if (out != null) {
      client.write(out);
      if (client.writeQueueFull()) {
        source.pause();
      }
    }
  }

  /** Ends the stream from the gateway's side (shutdown): error event, upstream cancelled. */
  public void cut(Throwable why) {
    if (!done.future().isComplete()) {
      upstream.cancel();
      finish(StreamOutcome.CANCELLED, why);
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
      upstream.cancel();
      complete(StreamOutcome.CANCELLED);
    }
  }

  private void finish(StreamOutcome outcome, Throwable failure) {
    if (done.future().isComplete()) {
      return;
    }
    if (failure != null && !sawError) {
      client.write(Buffer.buffer(errorEvent.apply(failure)));
    }
    complete(outcome);
    client.end();
  }

  private void complete(StreamOutcome outcome) {
    listener.onEnd(outcome, System.nanoTime());
    done.complete(outcome);
  }
}
