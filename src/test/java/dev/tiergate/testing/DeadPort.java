package dev.tiergate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses connections for as long as this object is open: a socket bound to
 * it that never listens. Nothing else can bind the port meanwhile, so a backend URL built on it is
 * dead for the whole test — unlike a port found free and closed again, which another process (or
 * another test's server) may take before the test uses it.
 *
 * <pre>
 * try (DeadPort dead = DeadPort.reserve()) {
 *   ... url: "http://127.0.0.1:" + dead.port() ...
 * }
 * </pre>
 */
public final class DeadPort implements AutoCloseable {
  private final Socket socket;

  private DeadPort(Socket socket) {
    this.socket = socket;
  }

  public static DeadPort reserve() {
    return reserve(0);
  }

  /**
   * Holds a given port, e.g. the one a backend the test just stopped was listening on, so that it
   * stays dead (and free for {@link #handOver}) until the test brings the backend back.
   */
  public static DeadPort reserve(int port) {
    Socket s = new Socket();
    try {
      // Lets a server bind this port while the placeholder still holds it (Linux allows several
      // non-listening bindings with SO_REUSEADDR): see {@link #handOver}.
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return new DeadPort(s);
    } catch (IOException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing bound
      }
      throw new UncheckedIOException("cannot reserve loopback port " + port, e);
    }
  }

  public int port() {
    return socket.getLocalPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /**
   * Brings the port to life: {@code bind} starts a server on it while the placeholder still holds
   * it, then the placeholder lets go. No moment exists in which a third party could take the port.
   */
  public <T> T handOver(java.util.function.IntFunction<T> bind) {
    T server = bind.apply(port());
    close();
    return server;
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
