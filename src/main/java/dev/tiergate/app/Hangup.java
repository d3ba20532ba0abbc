package dev.tiergate.app;

import dev.tiergate.api.Services;
import io.vertx.core.Vertx;

/**
 * SIGHUP re-reads {@code auth.keysFile}, as daemons do. {@code sun.misc.Signal} is the only way a
 * Java program can catch it; where it is missing or refused (another runtime, a platform without
 * SIGHUP) the gateway says so once and keys reload through {@code POST /tiergate/reload-keys}.
 */
final class Hangup {
  private Hangup() {}

  static void reloadKeysOnSignal(Vertx vertx, Services services) {
    if (services.config().auth().keysFile() == null) {
      return;
    }
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> vertx.executeBlocking(services::reloadKeys, false)
          .onSuccess(r -> System.out.println("tiergate: SIGHUP: " + (r.reloaded() ? "keys reloaded, " + r.keys() + " in force"
              : "keys file not reloaded, the " + r.keys() + " key(s) in force stay: " + String.join("; ", r.problems())))));
    } catch (Throwable t) {
      System.err.println("tiergate: SIGHUP cannot be caught here (" + t + "); reload keys with POST /tiergate/reload-keys");
    }
  }
}
