package dev.tiergate.stream;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits an SSE byte stream into events. Accepts {@code \n} and {@code \r\n} line ends, joins
 * multi-line data, keeps the {@code event:} name (Responses and Messages streams name every event),
 * ignores comments and other fields. A partial line is kept between chunks, and
 * the kept bytes are capped so a peer that never ends an event cannot grow memory without bound.
 */
public final class SseFramer {
  /** The peer sent an event larger than the cap. */
  public static final class OversizedEventException extends RuntimeException {
    OversizedEventException(int cap) {
      super("upstream event exceeds " + cap + " bytes", null, false, false);
    }
  }

  /** The bytes of a data line that are not data: {@code "data: "} and a CR before the LF. */
  private static final int LINE_OVERHEAD = 7;

  private final int maxEventBytes;
  /** The unfinished line carried over from earlier reads; grows by doubling, so appends are amortised O(1). */
  private byte[] partial;
  private int partialLen;
  private Buffer data;
  private int dataLines;
  private int dataFlags;
  /** The {@code event:} name of the event being read, or null. */
  private String eventName;

  public SseFramer(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Feeds one network chunk; complete events go to {@code sink} in order. Each byte is looked at a
   * fixed number of times however the event is split across reads: only the new chunk is scanned
   * for line ends, and a line carried over is appended to, never rescanned or copied whole again
   * (rescanning made a 12 MB line cost 24 s of CPU).
   */
  public void feed(Buffer chunk, Consumer<SseEvent> sink) {
    // One copy per network read, then plain array scans: Buffer.getByte per byte is several
    // times slower (bounds and reference-count checks on every call).
    byte[] a = chunk.getBytes();
    int len = a.length;
    int lineStart = 0;
    for (int i = 0; i < len; i++) {
      if (a[i] != '\n') {
        continue;
      }
      if (partialLen > 0) {
        carry(a, 0, i);
        byte[] p = partial;
        int end = partialLen > 0 && p[partialLen - 1] == '\r' ? partialLen - 1 : partialLen;
        partial = null;
        partialLen = 0;
        line(Buffer.buffer(Arrays.copyOf(p, end)), p, 0, end, sink);
      } else {
        int end = i > lineStart && a[i - 1] == '\r' ? i - 1 : i;
        line(chunk, a, lineStart, end, sink);
      }
      lineStart = i + 1;
    }
    if (lineStart < len) {
      carry(a, lineStart, len);
    }
  }

  private void carry(byte[] a, int from, int to) {
    int n = to - from;
    // A carried line still holds its "data: " and a CR that the event's data will not: allow for them, so
    // an event's verdict does not depend on where the network split it (line() checks the data exactly).
    if (partialLen + n + pendingDataBytes() > (long) maxEventBytes + LINE_OVERHEAD) {
      throw new OversizedEventException(maxEventBytes);
    }
    if (partial == null) {
      partial = new byte[Math.max(256, n * 2)];
    } else if (partialLen + n > partial.length) {
      partial = Arrays.copyOf(partial, Math.max(partialLen + n, partial.length * 2));
    }
    System.arraycopy(a, from, partial, partialLen, n);
    partialLen += n;
  }

  /** True when bytes of an unfinished event are held (the stream ended mid-event). */
  public boolean hasPartial() {
    return partialLen > 0 || data != null;
  }

  /** A stream that ends without a final blank line still delivers its last complete data line. */
  public void finish(Consumer<SseEvent> sink) {
    if (partialLen > 0) {
      byte[] p = partial;
      int end = p[partialLen - 1] == '\r' ? partialLen - 1 : partialLen;
      partial = null;
      partialLen = 0;
      line(Buffer.buffer(Arrays.copyOf(p, end)), p, 0, end, sink);
    }
    dispatch(sink);
  }

  private void line(Buffer buf, byte[] a, int start, int end, Consumer<SseEvent> sink) {
    if (start == end) {
      dispatch(sink);
      return;
    }
    if (!startsWithData(a, start, end)) {
      if (startsWithEvent(a, start, end)) {
        int v = start + 6;
        if (v < end && a[v] == ' ') {
          v++;
        }
        eventName = EventNames.of(a, v, end);
        if (dataLines > 0) {
          dataFlags = -1; // named after its data: classified by name at dispatch
        }
      }
      return;
    }
    int v = start + 5;
    if (v < end && a[v] == ' ') {
      v++;
    }
    Buffer value = buf.slice(v, end);
    if (dataLines == 0) {
      data = value;
      // The common case, one data line: classify straight from the array already in hand.
      dataFlags = eventName == null ? EventScanner.classify(a, v, end) : EventScanner.classifyNamed(eventName, a, v, end);
    } else {
      if (dataLines == 1) {
        data = Buffer.buffer(data.length() + value.length() + 16).appendBuffer(data);
      }
      data.appendByte((byte) '\n').appendBuffer(value);
      dataFlags = -1;
    }
    dataLines++;
    if (data.length() > maxEventBytes) {
      throw new OversizedEventException(maxEventBytes);
    }
  }

  private void dispatch(Consumer<SseEvent> sink) {
    String name = eventName;
    eventName = null;
    if (data == null) {
      return;
    }
    Buffer d = data;
    int flags = dataFlags;
    data = null;
    dataLines = 0;
    sink.accept(flags >= 0 ? new SseEvent(d, flags, name) : SseEvent.of(name, d));
  }

  private int pendingDataBytes() {
    return data == null ? 0 : data.length();
  }

  private static boolean startsWithEvent(byte[] a, int start, int end) {
    return end - start >= 6 && a[start] == 'e' && a[start + 1] == 'v' && a[start + 2] == 'e' && a[start + 3] == 'n'
        && a[start + 4] == 't' && a[start + 5] == ':';
  }

  private static boolean startsWithData(byte[] a, int start, int end) {
    return end - start >= 5 && a[start] == 'd' && a[start + 1] == 'a' && a[start + 2] == 't' && a[start + 3] == 'a'
        && a[start + 4] == ':';
  }
}
