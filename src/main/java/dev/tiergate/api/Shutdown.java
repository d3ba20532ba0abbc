package dev.tiergate.api;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Shutdown state shared by every API instance: once draining, new requests get 503
 * {@code shutting_down}, listeners stop accepting, and streams still open when the drain time is
 * up are cut with an error event on their own event loop. It also knows each open stream's tier,
 * so a tier being swapped out can have its streams cut the same way.
 */
public final class Shutdown {
  private volatile boolean draining;
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();

  /** An open stream, the tier it is on, and the way to end it from another thread. */
  private record Stream(Context context, String tier, Consumer<String> cut) {}

  public boolean draining() {
    return draining;
  }

  void register(HttpServer server) {
    servers.add(server);
  }

  Object track(Context context, String tier, Consumer<String> cut) {
    Stream s = new Stream(context, tier, cut);
    streams.add(s);
    return s;
  }

  void untrack(Object handle) {
    streams.remove(handle);
  }

  public int openStreams() {
    return streams.size();
  }

  /** Stops accepting connections; requests already in flight may finish within {@code graceMs}. */
  public Future<Void> startDraining(long graceMs) {
    draining = true;
    return Future.join(servers.stream().map(s -> s.shutdown(graceMs, TimeUnit.MILLISECONDS)).toList()).mapEmpty();
  }

  /** Ends every stream still open with an error event saying why. */
  public void cutAll(String why) {
    for (Stream s : streams) {
      s.context().runOnContext(v -> s.cut().accept(why));
    }
  }

  /** Ends the streams of one tier (its drain time during a swap is over). */
  public void cutTier(String tier, String why) {
    for (Stream s : streams) {
      if (s.tier().equals(tier)) {
        s.context().runOnContext(v -> s.cut().accept(why));
      }
    }
  }
}
