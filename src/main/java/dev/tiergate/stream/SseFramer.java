package dev.tiergate.stream;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Splits an SSE byte stream into events. Accepts {@code \n} and {@code \r\n} line ends, joins
 * multi-line data, ignores comments and other fields. A partial line is kept between chunks, and
 * the kept bytes are capped so a peer that never ends an event cannot grow memory without bound.
 */
public final class SseFramer {
  /** The peer sent an event larger than the cap. */
  public static final class OversizedEventException extends RuntimeException {
    OversizedEventException(int cap) {
      super("upstream event exceeds " + cap + " bytes", null, false, false);
    }
  }

  private final int maxEventBytes;
  private Buffer partial;
  private Buffer data;
  private int dataLines;

  public SseFramer(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  /** Feeds one network chunk; complete events go to {@code sink} in order. */
  public void feed(Buffer chunk, Consumer<SseEvent> sink) {
    Buffer buf = chunk;
    if (partial != null) {
      buf = partial.appendBuffer(chunk);
      partial = null;
    }
    int len = buf.length();
    int lineStart = 0;
    for (int i = 0; i < len; i++) {
      if (buf.getByte(i) != '\n') {
        continue;
      }
      int end = i > lineStart && buf.getByte(i - 1) == '\r' ? i - 1 : i;
      line(buf, lineStart, end, sink);
      lineStart = i + 1;
    }
    if (lineStart < len) {
      int rest = len - lineStart;
      if (rest + pendingDataBytes() > maxEventBytes) {
        throw new OversizedEventException(maxEventBytes);
      }
      partial = Buffer.buffer(Math.max(rest * 2, 256)).appendBuffer(buf, lineStart, rest);
    }
  }

  /** True when bytes of an unfinished event are held (the stream ended mid-event). */
  public boolean hasPartial() {
    return partial != null || data != null;
  }

  /** A stream that ends without a final blank line still delivers its last complete data line. */
  public void finish(Consumer<SseEvent> sink) {
    if (partial != null) {
      Buffer p = partial;
      partial = null;
      int end = p.length() > 0 && p.getByte(p.length() - 1) == '\r' ? p.length() - 1 : p.length();
      line(p, 0, end, sink);
    }
    dispatch(sink);
  }

  private void line(Buffer buf, int start, int end, Consumer<SseEvent> sink) {
    if (start == end) {
      dispatch(sink);
      return;
    }
    if (!startsWithData(buf, start, end)) {
      return;
    }
    int v = start + 5;
    if (v < end && buf.getByte(v) == ' ') {
      v++;
    }
    Buffer value = buf.slice(v, end);
    if (dataLines == 0) {
      data = value;
    } else {
      if (dataLines == 1) {
        data = Buffer.buffer(data.length() + value.length() + 16).appendBuffer(data);
      }
      data.appendByte((byte) '\n').appendBuffer(value);
    }
    dataLines++;
    if (data.length() > maxEventBytes) {
      throw new OversizedEventException(maxEventBytes);
    }
  }

  private void dispatch(Consumer<SseEvent> sink) {
    if (data == null) {
      return;
    }
    Buffer d = data;
    data = null;
    dataLines = 0;
    sink.accept(SseEvent.of(d));
  }

  private int pendingDataBytes() {
    return data == null ? 0 : data.length();
  }

  private static boolean startsWithData(Buffer b, int start, int end) {
    return end - start >= 5
        && b.getByte(start) == 'd'
        && b.getByte(start + 1) == 'a'
        && b.getByte(start + 2) == 't'
        && b.getByte(start + 3) == 'a'
        && b.getByte(start + 4) == ':';
  }
}
