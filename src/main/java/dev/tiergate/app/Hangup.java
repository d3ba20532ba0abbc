package dev.tiergate.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * SIGHUP reloads, as daemons do: the config file and the keys file together (both or neither) when
 * the gateway was started from a file, else {@code auth.keysFile} alone. {@code sun.misc.Signal} is
 * the only way a Java program can catch it; where it is missing or refused (another runtime, a
 * platform without SIGHUP) the gateway says so once, and {@code POST /tiergate/reload} does the same.
 */
final class Hangup {
  private Hangup() {}

  static void reloadOnSignal(Vertx vertx, Gateway g) {
    if (!g.reloadable() && g.services().config().auth().keysFile() == null) {
      return;
    }
    try {
      sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> handle(vertx, g));
      if (before == sun.misc.SignalHandler.SIG_IGN) {
        // The JVM leaves a signal ignored at start ignored (nohup does that), whatever handler is asked for.
        System.err.println("tiergate: SIGHUP is ignored in this process (started under nohup?), so it cannot reload the"
            + " config; reload with POST /tiergate/reload");
      }
    } catch (Throwable t) {
      System.err.println("tiergate: SIGHUP cannot be caught here (" + t + "); reload with POST /tiergate/reload");
    }
  }

  /**
   * What one SIGHUP does; completes with the line it printed. The reload logs its own outcome (a
   * warning with every problem's key path when nothing changed); this adds one line on stdout.
   */
  static Future<String> handle(Vertx vertx, Gateway g) {
    if (g.reloadable()) {
      return g.reload("SIGHUP").transform(ar -> Future.succeededFuture(ar.succeeded()
          ? "tiergate: SIGHUP: config reloaded, " + Reloader.line(ar.result())
          : "tiergate: SIGHUP: " + ar.cause().getMessage())).onSuccess(System.out::println);
    }
    return vertx.executeBlocking(g.services()::reloadKeys, false).map(r -> "tiergate: SIGHUP: " + (r.reloaded()
        ? "keys reloaded, " + r.keys() + " in force"
        : "keys file not reloaded, the " + r.keys() + " key(s) in force stay: " + String.join("; ", r.problems())))
        .onSuccess(System.out::println);
  }
}
