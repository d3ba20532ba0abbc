package dev.tiergate.app;

import dev.tiergate.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Starts a gateway in this process and wires graceful shutdown to SIGTERM / Ctrl-C. */
final class Launch {
  private Launch() {}

  static Vertx vertx(GatewayConfig config) {
    return Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, config.server().instances()))
        .setPreferNativeTransport(config.server().nativeTransport()));
  }

  static Gateway gateway(GatewayConfig config, String source) {
    return gateway(vertx(config), config, source, null);
  }

  /** {@code file}, when given, is read again on SIGHUP and {@code POST /tiergate/reload}. */
  static Gateway gateway(GatewayConfig config, ConfigFile file) {
    return gateway(vertx(config), config, file.path().toString(), file);
  }

  static Gateway gateway(Vertx vertx, GatewayConfig config, String source) {
    return gateway(vertx, config, source, null);
  }

  static Gateway gateway(Vertx vertx, GatewayConfig config, String source, ConfigFile file) {
    Gateway g;
    try {
      g = await(Gateway.start(vertx, config, file));
    } catch (RuntimeException e) {
      System.err.println("tiergate: cannot start: " + e.getMessage());
      await(vertx.close());
      System.exit(1);
      return null;
    }
    // Before saying it listens: a SIGHUP sent as soon as it does (a supervisor, a test) must reload, not stop the JVM.
    Hangup.reloadOnSignal(vertx, g);
    System.out.println("tiergate listening on http://" + config.server().host() + ":" + g.port() + "/v1 (config " + source
        + ", transport " + (vertx.isNativeTransportEnabled() ? "epoll" : "nio") + ")");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("tiergate: draining (up to " + config.server().drainMs() + " ms)");
      try {
        g.drain(config.server().drainMs()).toCompletionStage().toCompletableFuture().get(config.server().drainMs() + 5_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Out of time: closing Vert.x below cuts what is left.
      }
      try {
        // Stops the engine processes this gateway started: none may be left holding the GPUs.
        g.stop().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("tiergate: stopping engines: " + e.getMessage());
      }
      await(vertx.close());
    }));
    return g;
  }

  static GatewayConfig withPort(GatewayConfig c, int port) {
    return c.withServer(c.server().withPort(port));
  }

  static <T> T await(Future<T> f) {
    CompletableFuture<T> cf = f.toCompletionStage().toCompletableFuture();
    try {
      return cf.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
