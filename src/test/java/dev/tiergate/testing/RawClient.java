package dev.tiergate.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what an HTTP client library hides: pipelined requests, a body
 * sent a byte at a time, a connection that never sends a head, and whether the server closed it.
 * Blocking, for the test thread only.
 */
public final class RawClient implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** One parsed response; header names are lower-cased. */
  public record Response(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  public static RawClient connect(int port) {
    try {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(15_000);
      return new RawClient(s);
    } catch (IOException e) {
      throw new AssertionError("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  /** A POST with a JSON body and Content-Length, as one string ready to write. */
  public static String post(String path, String json, String... headerPairs) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n");
    for (int i = 0; i + 1 < headerPairs.length; i += 2) {
      sb.append(headerPairs[i]).append(": ").append(headerPairs[i + 1]).append("\r\n");
    }
    return sb.append("Content-Length: ").append(body.length).append("\r\n\r\n").append(json).toString();
  }

  public static String get(String method, String path) {
    return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  }

  public RawClient write(String s) {
    return write(s.getBytes(StandardCharsets.UTF_8));
  }

  public RawClient write(byte[] b) {
    try {
      out.write(b);
      out.flush();
      return this;
    } catch (IOException e) {
      throw new AssertionError("write failed", e);
    }
  }

  /** Writes without failing when the server already closed the connection; returns whether it went out. */
  public boolean tryWrite(byte[] b) {
    try {
      out.write(b);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Reads one response; {@code headRequest} when it answers a HEAD (no body follows whatever the headers say). */
  public Response read(boolean headRequest) {
    try {
      String status = line();
      if (status == null) {
        throw new AssertionError("the connection closed before a response");
      }
      String[] parts = status.split(" ", 3);
      int code = Integer.parseInt(parts[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      String h;
      while ((h = line()) != null && !h.isEmpty()) {
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      String body;
      if (headRequest || code == 204 || code == 304 || code / 100 == 1) {
        body = "";
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        body = chunked();
      } else if (headers.containsKey("content-length")) {
        body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
      } else {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return new Response(code, headers, body);
    } catch (IOException e) {
      throw new AssertionError("reading a response failed", e);
    }
  }

  public Response read() {
    return read(false);
  }

  /** Whether the server sent something (or closed) within {@code ms}; nothing is consumed. */
  public boolean respondsWithin(long ms) {
    try {
      socket.setSoTimeout((int) ms);
      in.mark(1);
      try {
        in.read();
        in.reset();
        return true;
      } catch (SocketTimeoutException nothingYet) {
        return false;
      } finally {
        socket.setSoTimeout(15_000);
      }
    } catch (IOException reset) {
      return true;
    }
  }

  /**
   * Whether the server closed the connection (end of stream or reset) within {@code ms}; false
   * when it is still open then. Anything the server sends meanwhile is read and dropped.
   */
  public boolean closedWithin(long ms) {
    long deadline = System.nanoTime() + ms * 1_000_000L;
    try {
      byte[] buf = new byte[4096];
      while (System.nanoTime() < deadline) {
        socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
        try {
          if (in.read(buf) < 0) {
            return true;
          }
        } catch (SocketTimeoutException stillOpen) {
          return false;
        }
      }
      return false;
    } catch (IOException reset) {
      return true;
    } finally {
      try {
        socket.setSoTimeout(15_000);
      } catch (IOException ignored) {
        // the socket is gone; nothing to restore
      }
    }
  }

  private String chunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line();
      if (size == null) {
        throw new IOException("the connection closed inside a chunked body");
      }
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      if (n == 0) {
        String trailer;
        while ((trailer = line()) != null && !trailer.isEmpty()) {
          // trailers are not used by the gateway; read past them
        }
        return body.toString(StandardCharsets.UTF_8);
      }
      body.write(in.readNBytes(n));
      line();
    }
  }

  /** One CRLF-terminated line without its end, or null at end of stream. */
  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        byte[] a = b.toByteArray();
        int len = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
        return new String(a, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // best effort
    }
  }
}
