package dev.tiergate.bench;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Client-side SSE framing, deliberately independent of the gateway's own framer (the bench must not
 * trust the code it measures): splits on blank lines, hands out each event's {@code data:} payload.
 * Partial events are kept between chunks up to a cap.
 */
public final class SseSplitter {
  private final int maxPendingBytes;
  private Buffer pending;

  public SseSplitter(int maxPendingBytes) {
    this.maxPendingBytes = maxPendingBytes;
  }

  /** Feeds one network chunk; returns false when an event grew past the cap (the caller should give up). */
  public boolean feed(Buffer chunk, Consumer<Buffer> sink) {
    Buffer buf = pending == null ? chunk : pending.appendBuffer(chunk);
    pending = null;
    int len = buf.length();
    int start = 0;
    for (int i = 0; i + 1 < len; i++) {
      if (buf.getByte(i) != '\n') {
        continue;
      }
      int next = i + 1;
      if (buf.getByte(next) == '\r' && next + 1 < len) {
        next++;
      }
      if (buf.getByte(next) == '\n') {
        emit(buf, start, i, sink);
        start = next + 1;
        i = next;
      }
    }
    if (start < len) {
      if (len - start > maxPendingBytes) {
        return false;
      }
      pending = Buffer.buffer(len - start + 256).appendBuffer(buf, start, len - start);
    }
    return true;
  }

  private static void emit(Buffer buf, int start, int end, Consumer<Buffer> sink) {
    if (end > start && buf.getByte(end - 1) == '\r') {
      end--;
    }
    if (end - start < 5 || buf.getByte(start) != 'd' || buf.getByte(start + 4) != ':') {
      return; // comments and non-data fields
    }
    int v = start + 5;
    if (v < end && buf.getByte(v) == ' ') {
      v++;
    }
    sink.accept(buf.slice(v, end));
  }

  /** True when the payload is the {@code [DONE]} sentinel. */
  public static boolean isDone(Buffer data) {
    return data.length() >= 6 && data.getByte(0) == '[' && data.getByte(1) == 'D' && data.getByte(5) == ']';
  }

  /** Index of {@code needle} in {@code b}, or -1. */
  public static int indexOf(Buffer b, byte[] needle) {
    int last = b.length() - needle.length;
    outer:
    for (int i = 0; i <= last; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (b.getByte(i + k) != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The non-negative integer right after {@code key} (e.g. {@code "sim_ts_us":}), or -1 when absent. */
  public static long longAfter(Buffer b, byte[] key) {
    int i = indexOf(b, key);
    if (i < 0) {
      return -1;
    }
    int j = i + key.length;
    while (j < b.length() && b.getByte(j) == ' ') {
      j++;
    }
    long v = 0;
    int digits = 0;
    while (j < b.length() && digits < 19) {
      byte c = b.getByte(j);
      if (c < '0' || c > '9') {
        break;
      }
      v = v * 10 + (c - '0');
      digits++;
      j++;
    }
    return digits == 0 ? -1 : v;
  }
}
