package dev.tiergate.api;

import dev.tiergate.stream.JsonBytes;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.config.ReasoningField;
import dev.tiergate.upstream.EngineAdapter;
import dev.tiergate.upstream.ResponseFixer;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Renders upstream events as the client should see them: the usage event we asked for on the
 * client's behalf is dropped, engine quirks are fixed, and the model name is the client's own.
 */
final class ClientEvents implements Function<SseEvent, Buffer>, Render {
  private static final byte[] MODEL = JsonBytes.key("model");
  private static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SUFFIX = "\n\n".getBytes(StandardCharsets.US_ASCII);

  private final ResponseFixer fixer;
  private final boolean clientWantsUsage;
  private final ReasoningField reasoning;
  private final byte[] clientModel;

  /** @param quotedClientModel the client's model name as a JSON string literal, or null to keep the engine's */
  ClientEvents(EngineAdapter adapter, boolean clientWantsUsage, int maxTokens, byte[] quotedClientModel, ReasoningField reasoning) {
    this.fixer = adapter.fixer(maxTokens);
    this.clientWantsUsage = clientWantsUsage;
    this.reasoning = reasoning;
    this.clientModel = quotedClientModel;
  }

  /** The JSON literal of a model name; one per handler, as clients almost always repeat the same name. */
  static final class ModelLiteral {
    private String last;
    private byte[] quoted;

    byte[] of(String model) {
      if (model == null) {
        return null;
      }
      if (!model.equals(last)) {
        quoted = JsonBytes.quote(model).getBytes(StandardCharsets.UTF_8);
        last = model;
      }
      return quoted;
    }
  }

  @Override
  public Buffer event(SseEvent event) {
    return apply(event);
  }

  @Override
  public Buffer apply(SseEvent event) {
    if (!clientWantsUsage && event.isUsageOnly()) {
      return null;
    }
    Buffer data = reasoning.apply(rename(fixer.event(event)));
    return Buffer.buffer(data.length() + 8).appendBytes(PREFIX).appendBuffer(data).appendBytes(SUFFIX);
  }

  /** A whole non-streamed body, with the same fixes as the events. */
  @Override
  public Buffer body(Buffer json) {
    return reasoning.apply(rename(fixer.body(json)));
  }

  private Buffer rename(Buffer json) {
    return clientModel == null ? json : JsonBytes.replaceTopLevelString(json, MODEL, clientModel);
  }
}
