package dev.tiergate.api;

import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;

/**
 * How one upstream response reaches the client in the client's API: chat passed through with its
 * fixes ({@link ClientEvents}), a named stream passed through ({@link NamedEvents}), a body that only
 * needs the client's model name ({@link #plain}), or a chat answer translated ({@link Translated}).
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

  /** Embeddings, rerank and counters: the body as the engine sent it, with the client's model name. */
  static Render plain(byte[] quotedClientModel) {
    return new NamedEvents(quotedClientModel);
  }
}
