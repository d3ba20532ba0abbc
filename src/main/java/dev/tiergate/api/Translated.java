package dev.tiergate.api;

import dev.tiergate.api.translate.ChatToMessages;
import dev.tiergate.api.translate.ChatToResponses;
import dev.tiergate.api.translate.ChatTranslator;
import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;

/** A chat answer in the client's API (Responses or Messages), for a backend whose engine lacks it. */
final class Translated implements Render {
  private final ChatTranslator translator;

  private Translated(ChatTranslator translator) {
    this.translator = translator;
  }

  /** Made before the request body is let go: Messages needs its stop sequences to tell which one matched. */
  static Translated of(Endpoint endpoint, RequestFacts facts) {
    return new Translated(endpoint == Endpoint.MESSAGES ? new ChatToMessages(facts.model(), StopSequences.of(facts.body()))
        : new ChatToResponses(facts.model()));
  }

  @Override
  public Buffer event(SseEvent e) {
    return translator.event(e);
  }

  @Override
  public Buffer body(Buffer upstream) {
    return translator.body(upstream);
  }

  @Override
  public boolean rendersDone() {
    return true;
  }
}
