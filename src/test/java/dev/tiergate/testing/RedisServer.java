package dev.tiergate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package; {@code .ci/run} installs it) on a free loopback
 * port, without persistence, for one test class. It can be killed and started again on the same
 * port, as an outage would look to the gateway.
 */
public final class RedisServer implements AutoCloseable {
  private final int port;
  private final Path dir;
  private Process process;

  private RedisServer(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  public static RedisServer start() {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
    try {
      RedisServer r = new RedisServer(port, Files.createTempDirectory("tiergate-redis"));
      r.startAgain();
      return r;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server (again) on its port and waits until it answers PING. */
  public synchronized void startAgain() {
    try {
      process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "yes"))
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start redis-server (apt-get install redis-server): " + e.getMessage(), e);
    }
    Wire.await("redis-server answers on port " + port, 10_000, () -> "+PONG".equals(command("PING")));
  }

  /** SIGKILL, as a crash or an OOM kill would end it; returns when the process is gone. */
  public synchronized void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One inline command; the first line of the reply, or null when the server does not answer. */
  public String command(String line) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(2_000);
      OutputStream out = s.getOutputStream();
      out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\r') {
        sb.append((char) c);
      }
      return sb.toString();
    } catch (IOException e) {
      return null;
    }
  }

  /** Every key in the server, one RESP reply read whole (small test data only). */
  public String keys() {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(2_000);
      s.getOutputStream().write("KEYS *\r\n".getBytes(StandardCharsets.UTF_8));
      Thread.sleep(200);
      byte[] buf = new byte[65536];
      int n = s.getInputStream().read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      kill();
    }
  }
}
