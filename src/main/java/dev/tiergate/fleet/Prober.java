package dev.tiergate.fleet;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.upstream.HealthProbe;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Probes every backend on a fixed interval and feeds the results into the {@link Fleet}. When a
 * backend becomes ready (at start or after recovery), its context window is discovered again,
 * since an engine may have been restarted with another {@code --max-model-len}.
 */
public final class Prober {
  private final Vertx vertx;
  private final Fleet fleet;
  private final GatewayConfig config;
  private final HttpClient client;
  private final HealthProbe probe;
  private final Set<String> busy = new HashSet<>();
  private final List<Long> timers = new ArrayList<>();
  /** A periodic tick already queued when stop() runs must not use the closed client. */
  private volatile boolean stopped;

  public Prober(Vertx vertx, Fleet fleet, GatewayConfig config) {
    this.vertx = vertx;
    this.fleet = fleet;
    this.config = config;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.health().timeoutMs())), new PoolOptions().setHttp1MaxSize(4));
    this.probe = new HealthProbe(client, config.health().timeoutMs());
  }

  /** Probes everything once now, then every interval; completes after the first round. */
  public Future<Void> start() {
    List<Future<Void>> first = new ArrayList<>();
    for (BackendState b : fleet.all()) {
      first.add(probeOnce(b));
      timers.add(vertx.setPeriodic(config.health().intervalMs(), id -> probeOnce(b)));
    }
    return Future.join(first).mapEmpty();
  }

  public Future<Void> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    return client.close();
  }

  Future<Void> probeOnce(BackendState b) {
    if (stopped) {
      return Future.succeededFuture();
    }
    String name = b.config().name();
    synchronized (busy) {
      if (!busy.add(name)) {
        return Future.succeededFuture();
      }
    }
    BackendState.Health before = b.health();
    return probe.probe(b.config()).compose(r -> {
      if (stopped) {
        return Future.<Void>succeededFuture(); // a probe cut by shutdown says nothing about the backend
      }
      BackendState.Health h = switch (r.state()) {
        case READY -> BackendState.Health.READY;
        case LOADING -> BackendState.Health.LOADING;
        case DOWN -> BackendState.Health.DOWN;
      };
      boolean becameReady = h == BackendState.Health.READY && before != BackendState.Health.READY;
      if (!becameReady) {
        fleet.probed(name, h, h == BackendState.Health.READY ? null : r.detail(), null);
        return Future.<Void>succeededFuture();
      }
      return probe.discover(b.config()).map(d -> {
        fleet.discoveredModels(name, d.models());
        fleet.probed(name, h, null, d.window());
        return (Void) null;
      });
    }).onComplete(ar -> {
      synchronized (busy) {
        busy.remove(name);
      }
    });
  }
}
