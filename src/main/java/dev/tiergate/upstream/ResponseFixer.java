package dev.tiergate.upstream;

import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;

/** Per-response fixes of what the client sees; one instance per response, may keep state. */
public interface ResponseFixer {
  ResponseFixer NONE = new ResponseFixer() {
    @Override
    public Buffer event(SseEvent e) {
      return e.data();
    }

    @Override
    public Buffer body(Buffer body) {
      return body;
    }
  };

  /** One streamed event; returns its data unchanged when nothing needs fixing. */
  Buffer event(SseEvent e);

  /** A whole non-streamed response body. */
  Buffer body(Buffer body);
}
