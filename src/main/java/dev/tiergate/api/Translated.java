package dev.tiergate.api;

import dev.tiergate.api.translate.ChatToMessages;
import dev.tiergate.api.translate.ChatToResponses;
import dev.tiergate.api.translate.ChatTranslator;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.upstream.EngineAdapter;
import dev.tiergate.upstream.ResponseFixer;
import io.vertx.core.buffer.Buffer;

/** A chat answer in the client's API (Responses or Messages), for a backend whose engine lacks it. */
final class Translated implements Render {
  private final ChatTranslator translator;
  private final ResponseFixer fixer;

  private Translated(ChatTranslator translator, ResponseFixer fixer) {
    this.translator = translator;
    this.fixer = fixer;
  }

  /**
   * Made before the request body is let go: Messages needs its stop sequences to tell which one
   * matched. The engine's own fixes (ik_llama's "stop" at the budget) apply before translating.
   */
  static Translated of(Endpoint endpoint, RequestFacts facts, EngineAdapter adapter) {
    ChatTranslator t = endpoint == Endpoint.MESSAGES ? new ChatToMessages(facts.model(), StopSequences.of(facts.body()))
        : new ChatToResponses(facts.model());
    return new Translated(t, adapter.fixer(facts.maxTokens()));
  }

  @Override
  public Buffer event(SseEvent e) {
    Buffer fixed = fixer.event(e);
    return translator.event(fixed == e.data() ? e : new SseEvent(fixed, e.flags(), e.event()));
  }

  @Override
  public Buffer body(Buffer upstream) {
    return translator.body(fixer.body(upstream));
  }

  @Override
  public boolean rendersDone() {
    return true;
  }
}
