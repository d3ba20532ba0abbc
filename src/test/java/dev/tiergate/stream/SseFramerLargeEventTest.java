package dev.tiergate.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Events far larger than a network read (a long tool-call argument, a big JSON answer) arrive whole
 * and byte-exact when the cap allows them, however the bytes were split; and whether an event is
 * within the cap does not depend on how TCP happened to cut it.
 */
class SseFramerLargeEventTest {
  static final int TWO_MIB = 2 * 1024 * 1024;

  /** Printable bytes without line ends, seeded so a failure can be replayed. */
  static byte[] payload(int size, long seed) {
    byte[] b = new byte[size];
    Random r = new Random(seed);
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (' ' + 1 + r.nextInt(94));
    }
    return b;
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Feeds {@code wire} in reads of {@code read} bytes; returns the events' data. */
  static List<byte[]> feed(SseFramer f, byte[] wire, int read) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < wire.length; i += read) {
      f.feed(Buffer.buffer(Arrays.copyOfRange(wire, i, Math.min(wire.length, i + read))), e -> out.add(e.data().getBytes()));
    }
    return out;
  }

  @Test
  void aTwoMebibyteEventFedIn4KibReadsArrivesWholeAndIntact() {
    byte[] data = payload(TWO_MIB, 42);
    byte[] wire = concat(ascii("data: {\"a\":1}\n\n"), ascii("data: "), data, ascii("\r\n\r\n"), ascii("data: [DONE]\n\n"));
    List<byte[]> events = feed(new SseFramer(4 * 1024 * 1024), wire, 4096);
    assertEquals(3, events.size());
    assertArrayEquals(ascii("{\"a\":1}"), events.get(0));
    assertArrayEquals(data, events.get(1), "the big event, byte for byte");
    assertArrayEquals(ascii("[DONE]"), events.get(2));
  }

  @Test
  void aLargeMultiLineEventIsJoinedIntactAcrossOddReads() {
    byte[] first = payload(TWO_MIB / 2, 1);
    byte[] second = payload(TWO_MIB / 2, 2);
    byte[] wire = concat(ascii("data: "), first, ascii("\r\ndata: "), second, ascii("\r\n\r\n"));
    // 4093-byte reads put the CR and the LF of a line end in different reads somewhere along the way.
    List<byte[]> events = feed(new SseFramer(4 * 1024 * 1024), wire, 4093);
    assertEquals(1, events.size());
    assertArrayEquals(concat(first, ascii("\n"), second), events.get(0));
  }

  @Test
  void theCapIsTheSameWhetherAnEventArrivesInOneReadOrMany() {
    byte[] data = payload(64 * 1024, 7);
    byte[] wire = concat(ascii("data: "), data, ascii("\r\n\r\n"));
    for (int read : new int[] {wire.length, 4096, 1000, 7}) {
      // Exactly at the cap: allowed, however the bytes were cut.
      List<byte[]> events = feed(new SseFramer(data.length), wire, read);
      assertEquals(1, events.size(), "reads of " + read);
      assertArrayEquals(data, events.get(0), "reads of " + read);
      // One byte over: refused, however the bytes were cut.
      assertThrows(SseFramer.OversizedEventException.class, () -> feed(new SseFramer(data.length - 1), wire, read),
          "reads of " + read);
    }
  }

  @Test
  void anEventOverTheDefaultCapIsRefusedBeforeItIsAllBuffered() {
    byte[] wire = concat(ascii("data: "), payload(TWO_MIB, 3), ascii("\n\n"));
    SseFramer f = new SseFramer(1024 * 1024);
    List<byte[]> seen = new ArrayList<>();
    int[] fed = {0};
    assertThrows(SseFramer.OversizedEventException.class, () -> {
      for (; fed[0] < wire.length; fed[0] += 4096) {
        f.feed(Buffer.buffer(Arrays.copyOfRange(wire, fed[0], Math.min(wire.length, fed[0] + 4096))), e -> seen.add(e.data().getBytes()));
      }
    });
    assertEquals(0, seen.size());
    assertTrue(fed[0] <= 1024 * 1024 + 4096, "refused at the read that passed the cap, not after 2 MiB: " + fed[0]);
  }
}
