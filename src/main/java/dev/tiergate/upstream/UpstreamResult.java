package dev.tiergate.upstream;

import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/** A successful opening of an upstream call: the backend that answered, and what it answered. */
public sealed interface UpstreamResult {
  Target target();

  /** Index of the target that answered in the list tried (0 = first choice). */
  int attempt();

  /** When the request to the answering backend was written (System.nanoTime). */
  long sentNanos();

  /** A whole (non-streamed) response body and its status; {@code release} returns its bytes to the budget. */
  record Complete(Target target, int attempt, long sentNanos, int status, Buffer body, Runnable onRelease)
      implements UpstreamResult {
    public void release() {
      onRelease.run();
    }
  }

  /** An SSE stream whose first output has arrived; {@code held} are the events read so far. */
  record Streaming(Target target, int attempt, long sentNanos, UpstreamStream stream, List<SseEvent> held)
      implements UpstreamResult {}
}
