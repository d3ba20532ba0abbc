package dev.tiergate.api;

import dev.tiergate.stream.JsonBytes;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.upstream.EngineAdapter;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Renders upstream events as the client should see them: the usage event we asked for on the
 * client's behalf is dropped, engine quirks are fixed, and the model name is the client's own.
 */
final class ClientEvents implements Function<SseEvent, Buffer> {
  private static final byte[] MODEL = JsonBytes.key("model");
  private static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SUFFIX = "\n\n".getBytes(StandardCharsets.US_ASCII);

  private final EngineAdapter adapter;
  private final boolean clientWantsUsage;
  private final int maxTokens;
  private final byte[] clientModel;

  ClientEvents(EngineAdapter adapter, boolean clientWantsUsage, int maxTokens, String clientModel) {
    this.adapter = adapter;
    this.clientWantsUsage = clientWantsUsage;
    this.maxTokens = maxTokens;
    this.clientModel = clientModel == null ? null : JsonBytes.quote(clientModel).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Buffer apply(SseEvent event) {
    if (!clientWantsUsage && event.isUsageOnly()) {
      return null;
    }
    Buffer data = adapter.fixEvent(event, maxTokens);
    data = rename(data);
    return Buffer.buffer(data.length() + 8).appendBytes(PREFIX).appendBuffer(data).appendBytes(SUFFIX);
  }

  Buffer rename(Buffer json) {
    return clientModel == null ? json : JsonBytes.replaceString(json, MODEL, clientModel);
  }
}
