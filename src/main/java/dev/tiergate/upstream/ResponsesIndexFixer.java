package dev.tiergate.upstream;

import dev.tiergate.stream.EventNames;
import dev.tiergate.stream.EventScanner;
import dev.tiergate.stream.SseEvent;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * llama.cpp's Responses stream names each event's item only by {@code item_id} (capture 16b), while
 * the OpenAI SDKs' stream helpers place every delta by {@code output_index} and
 * {@code content_index} (openai-node {@code lib/responses/ResponseStream.ts} throws "missing output
 * at index undefined"). The indexes are derived from the order of {@code output_item.added} events and
 * spliced in where absent; llama.cpp's items have one content part each.
 */
final class ResponsesIndexFixer implements ResponseFixer {
  private static final byte[] OUTPUT_INDEX = "output_index".getBytes(StandardCharsets.US_ASCII);
  private int item = -1;

  @Override
  public Buffer event(SseEvent e) {
    String name = e.event();
    if (name == null) {
      return e.data();
    }
    switch (name) {
      case EventNames.OUTPUT_ITEM_ADDED:
        item++;
        return insert(e.data(), false);
      case EventNames.OUTPUT_ITEM_DONE, EventNames.FUNCTION_ARGS_DELTA, EventNames.FUNCTION_ARGS_DONE:
        return insert(e.data(), false);
      case EventNames.CONTENT_PART_ADDED, EventNames.CONTENT_PART_DONE, EventNames.OUTPUT_TEXT_DELTA,
          EventNames.OUTPUT_TEXT_DONE, EventNames.REASONING_TEXT_DELTA, EventNames.REASONING_TEXT_DONE:
        return insert(e.data(), true);
      default:
        return e.data();
    }
  }

  /** Splices the indexes in right after the opening brace, unless the engine already sent them. */
  private Buffer insert(Buffer data, boolean part) {
    byte[] a = data.getBytes();
    if (item < 0 || EventScanner.topLevelValueAt(a, OUTPUT_INDEX) >= 0) {
      return data;
    }
    int open = 0;
    while (open < a.length && a[open] != '{') {
      open++;
    }
    if (open == a.length) {
      return data;
    }
    String fields = "\"output_index\":" + item + (part ? ",\"content_index\":0" : "") + ",";
    return Buffer.buffer(a.length + fields.length()).appendBytes(a, 0, open + 1).appendString(fields)
        .appendBytes(a, open + 1, a.length - open - 1);
  }

  @Override
  public Buffer body(Buffer body) {
    return body;
  }
}
