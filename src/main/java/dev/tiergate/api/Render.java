package dev.tiergate.api;

import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;

/**
 * How one upstream response reaches the client in the client's API: chat passed through with its
 * fixes ({@link ClientEvents}), a named stream or a pooling/counting body passed through with the
 * client's model name ({@link NamedEvents}), or a chat answer translated ({@link Translated}).
 */
interface Render {
  /** The client's bytes for one upstream event, or null to drop it. */
  Buffer event(SseEvent e);

  /** The client's body for a whole upstream body. */
  Buffer body(Buffer upstream);

  /** Whether {@link #event} also renders the chat {@code [DONE]} (a translation closes the stream its own way). */
  default boolean rendersDone() {
    return false;
  }
}
