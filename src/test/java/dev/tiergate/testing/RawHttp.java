package dev.tiergate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 written by hand on a plain socket, for what an HTTP client library will not send (hop-by-hop
 * headers such as {@code TE} or {@code Upgrade}) or will not do (pipelining a second request behind a
 * stream). Blocking: for the test thread only.
 */
public final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();

  private RawHttp(Socket socket) {
    this.socket = socket;
  }

  public static RawHttp connect(int port) {
    try {
      Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
      s.setSoTimeout(200);
      return new RawHttp(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A POST with a JSON body; {@code headerLines} are written as they are, e.g. {@code "TE: trailers"}. */
  public static String post(String path, String json, String... headerLines) {
    StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n");
    for (String h : headerLines) {
      sb.append(h).append("\r\n");
    }
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return sb.append("Content-Length: ").append(body.length).append("\r\n\r\n").append(json).toString();
  }

  public static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }

  public RawHttp send(String request) {
    try {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything received so far, reading until {@code done} holds, the peer closes, or the deadline passes. */
  public synchronized String readUntil(java.util.function.Predicate<String> done, long timeoutMs) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    byte[] buf = new byte[8192];
    try {
      InputStream in = socket.getInputStream();
      while (!done.test(text()) && System.nanoTime() < deadline) {
        try {
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          received.write(buf, 0, n);
        } catch (SocketTimeoutException nothingYet) {
          // poll again until the deadline
        }
      }
    } catch (IOException e) {
      // a reset: what arrived before it is still the answer
    }
    return text();
  }

  /** Reads until the peer closes the connection (or the deadline passes). */
  public String readToClose(long timeoutMs) {
    return readUntil(s -> false, timeoutMs);
  }

  /**
   * The body of the first response in {@code raw}, its chunked framing removed when it has one; a
   * response cut short gives what arrived.
   */
  public static String body(String raw) {
    int head = raw.indexOf("\r\n\r\n");
    if (head < 0) {
      return "";
    }
    String rest = raw.substring(head + 4);
    if (!raw.substring(0, head).toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
      return rest;
    }
    byte[] bytes = rest.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < bytes.length) {
      int eol = i;
      while (eol + 1 < bytes.length && !(bytes[eol] == '\r' && bytes[eol + 1] == '\n')) {
        eol++;
      }
      if (eol + 1 >= bytes.length) {
        break;
      }
      int size = Integer.parseInt(new String(bytes, i, eol - i, StandardCharsets.US_ASCII).trim(), 16);
      if (size == 0) {
        break;
      }
      int start = eol + 2;
      int end = Math.min(bytes.length, start + size);
      out.write(bytes, start, end - start);
      i = end + 2;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  public synchronized String text() {
    return received.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
