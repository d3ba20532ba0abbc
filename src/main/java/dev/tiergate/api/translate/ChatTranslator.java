package dev.tiergate.api.translate;

import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;

/**
 * Turns one chat completion, streamed or whole, into another API's answer. One instance per response;
 * it keeps what the API's closing events need (open blocks, stop reason, usage), never the whole text
 * unless the API repeats it at the end (Responses), and then under a cap.
 */
public abstract class ChatTranslator {
  /** The client's events for one upstream chat event (its {@code [DONE]} included); null when there are none. */
  public abstract Buffer event(SseEvent chatEvent);

  /** The client's body for a whole chat completion. */
  public abstract Buffer body(Buffer chatCompletion);
}
