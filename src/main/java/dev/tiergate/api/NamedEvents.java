package dev.tiergate.api;

import dev.tiergate.stream.EventNames;
import dev.tiergate.stream.JsonBytes;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.upstream.ResponseFixer;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * A Responses or Messages stream an engine speaks natively, passed through event by event with its
 * {@code event:} names; only the events that carry the response's model name are touched, so the
 * client sees its own. Whole bodies (and embeddings, rerank) get the same rename at the top level.
 */
final class NamedEvents implements Render {
  private static final byte[] MODEL = JsonBytes.key("model");
  private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PLAIN_DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

  private final byte[] clientModel;
  private final ResponseFixer fixer;

  NamedEvents(byte[] quotedClientModel) {
    this(quotedClientModel, ResponseFixer.NONE);
  }

  /** @param fixer the engine's own fixes to its native stream (llama.cpp's missing Responses indexes) */
  NamedEvents(byte[] quotedClientModel, ResponseFixer fixer) {
    this.clientModel = quotedClientModel;
    this.fixer = fixer;
  }

  @Override
  public Buffer event(SseEvent e) {
    Buffer data = fixer.event(e);
    String name = e.event();
    if (clientModel != null && carriesModel(name)) {
      data = JsonBytes.replaceString(data, MODEL, clientModel);
    }
    Buffer out = Buffer.buffer(data.length() + (name == null ? 8 : name.length() + 16));
    if (name != null) {
      out.appendBytes(EVENT).appendString(name).appendBytes(DATA);
    } else {
      out.appendBytes(PLAIN_DATA);
    }
    return out.appendBuffer(data).appendBytes(END);
  }

  /** The events whose payload holds the response object (and so its {@code model}). */
  private static boolean carriesModel(String name) {
    if (name == null) {
      return false;
    }
    return switch (name) {
      case EventNames.MESSAGE_START, EventNames.RESPONSE_CREATED, EventNames.RESPONSE_IN_PROGRESS,
          EventNames.RESPONSE_COMPLETED, EventNames.RESPONSE_INCOMPLETE, EventNames.RESPONSE_FAILED -> true;
      default -> false;
    };
  }

  @Override
  public Buffer body(Buffer json) {
    return clientModel == null ? json : JsonBytes.replaceTopLevelString(json, MODEL, clientModel);
  }
}
