package dev.tiergate.fleet;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.HealthConfig;
import dev.tiergate.upstream.EngineLoad;
import dev.tiergate.upstream.HealthProbe;
import dev.tiergate.upstream.LoadProbe;
import dev.tiergate.upstream.ProbeResult;
import dev.tiergate.upstream.Secrets;
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
 * Probes every backend on a fixed interval and feeds the results into the {@link Fleet}:
 * <ul>
 *   <li>the engine's own ready signal ({@code /health}, engine-aware);</li>
 *   <li>discovery of served names and context window when it becomes ready, every discovery
 *       interval after that, and with backoff after a failed lookup;</li>
 *   <li>a deep probe (one token from a known-good request) when {@code /health} says ready but
 *       requests wait without output while nothing else moves, or when an engine answered a
 *       request with an error of its own. A failed deep probe takes the backend out of routing
 *       and moves its waiting requests on; only a deep probe that succeeds brings it back.</li>
 * </ul>
 */
public final class Prober {
  private final Vertx vertx;
  private final Fleet fleet;
  private final HealthConfig health;
  private final HttpClient client;
  private final HealthProbe probe;
  private final LoadProbe loads;
  /** Probe rounds to skip before asking an engine without a metrics endpoint again. */
  private static final int LOAD_RETRY_TICKS = 12;
  private final java.util.Map<String, Integer> loadSkips = new java.util.concurrent.ConcurrentHashMap<>();
  private final Set<String> busy = new HashSet<>();
  private final List<Long> timers = new ArrayList<>();
  /** A periodic tick already queued when stop() runs must not use the closed client. */
  private volatile boolean stopped;

  public Prober(Vertx vertx, Fleet fleet, GatewayConfig config) {
    this.vertx = vertx;
    this.fleet = fleet;
    this.health = config.health();
    int backends = fleet.all().size();
    // A deep probe of a wedged engine holds its connection for the whole probe timeout; the others
    // must not queue behind it.
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, health.timeoutMs())),
        new PoolOptions().setHttp1MaxSize(Math.max(4, 2 * backends)));
    this.probe = new HealthProbe(client, health.timeoutMs(), Secrets.of(config));
    this.loads = new LoadProbe(client, health.timeoutMs());
  }

  /** Probes everything once now, then every interval; completes after the first round. */
  public Future<Void> start() {
    List<Future<Void>> first = new ArrayList<>();
    for (BackendState b : fleet.all()) {
      first.add(probeOnce(b));
      timers.add(vertx.setPeriodic(health.intervalMs(), id -> probeOnce(b)));
    }
    return Future.join(first).mapEmpty();
  }

  public Future<Void> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    return client.close();
  }

  Future<Void> probeOnce(BackendState b) {
    if (stopped || !b.live()) {
      // A tier that is not live is stopped on purpose (or being swapped): the lifecycle watches it.
      return Future.succeededFuture();
    }
    String name = b.config().name();
    synchronized (busy) {
      if (!busy.add(name)) {
        return Future.succeededFuture();
      }
    }
    Future<Void> round = b.deepFailure() != null ? recover(b) : probe.probe(b.config()).compose(r -> observed(b, r));
    return round.recover(t -> Future.succeededFuture()).onComplete(ar -> {
      synchronized (busy) {
        busy.remove(name);
      }
    });
  }

  private Future<Void> observed(BackendState b, ProbeResult r) {
    if (stopped) {
      return Future.succeededFuture(); // a probe cut by shutdown says nothing about the backend
    }
    String name = b.config().name();
    BackendState.Health h = switch (r.state()) {
      case READY -> BackendState.Health.READY;
      case LOADING -> BackendState.Health.LOADING;
      case DOWN -> BackendState.Health.DOWN;
    };
    if (h != BackendState.Health.READY) {
      fleet.probed(name, h, r.detail());
      return Future.succeededFuture();
    }
    if (b.health() != BackendState.Health.READY) {
      // Names and window first, so the backend is routed with them from its first request on.
      return discover(b).onComplete(ar -> fleet.probed(name, h, null));
    }
    return scrapeLoad(b).compose(v -> {
      long now = System.nanoTime();
      boolean stalled = b.stalled(now, health.stallMs() * 1_000_000L);
      // A suspect engine busy with a long prefill is checked once that prefill should be over.
      boolean check = stalled || b.suspect() && !b.prefillingAsExpected(now);
      return check ? verify(b, now) : Future.<Void>succeededFuture();
    }).compose(v -> b.deepFailure() == null && b.discovery.due(System.nanoTime()) ? discover(b) : Future.succeededFuture());
  }

  /**
   * The engine's own load report, for the predictor and to tell a saturated engine from a wedged
   * one. An engine without a metrics endpoint is asked again only every {@link #LOAD_RETRY_TICKS}.
   */
  private Future<Void> scrapeLoad(BackendState b) {
    String name = b.config().name();
    Integer skip = loadSkips.get(name);
    if (skip != null && skip > 0) {
      loadSkips.put(name, skip - 1);
      return Future.succeededFuture();
    }
    return loads.scrape(b.config()).map(l -> {
      if (l == null) {
        // No report now: stale numbers would mislead the predictor more than none.
        b.engineLoad(null);
        loadSkips.put(name, LOAD_RETRY_TICKS);
      } else {
        loadSkips.remove(name);
        b.engineLoad(l);
      }
      return null;
    });
  }

  /** A deep probe of a backend that looks ready; its failure takes the backend out. */
  private Future<Void> verify(BackendState b, long since) {
    if (stopped || !b.live()) {
      // Retired by a reload or swapped out while this round ran: a generation request there would be traffic the
      // configuration no longer sends it.
      return Future.succeededFuture();
    }
    EngineLoad before = b.engineLoad();
    return probe.deepProbe(b.config(), b.effectiveModel(), health.deepProbeTimeoutMs()).compose(r -> {
      if (stopped) {
        return Future.<Void>succeededFuture();
      }
      String name = b.config().name();
      if (r.state() == ProbeResult.State.READY) {
        fleet.deepProbeSucceeded(name);
        return Future.<Void>succeededFuture();
      }
      if (r.state() != ProbeResult.State.DOWN) {
        b.suspect(false);
        return Future.<Void>succeededFuture();
      }
      if (!r.timedOut()) {
        fleet.deepProbeFailed(name, r.detail());
        return Future.<Void>succeededFuture();
      }
      // Unanswered: wedged, or saturated (every slot busy with work that shows no output yet). A
      // stream that moved, or the engine's own token counter moving, says saturated.
      return loads.scrape(b.config()).map(after -> {
        boolean progressed = before != null && after != null && before.generatedTokens() >= 0
            && after.generatedTokens() > before.generatedTokens();
        if (after != null) {
          b.engineLoad(after);
        }
        if (b.activeSince(since) || progressed) {
          b.suspect(false);
        } else {
          fleet.deepProbeFailed(name, r.detail());
        }
        return null;
      });
    });
  }

  /** A backend a deep probe took out comes back only when another deep probe succeeds. */
  private Future<Void> recover(BackendState b) {
    return probe.deepProbe(b.config(), b.effectiveModel(), health.deepProbeTimeoutMs()).compose(r -> {
      if (stopped) {
        return Future.succeededFuture();
      }
      String name = b.config().name();
      if (r.state() == ProbeResult.State.READY) {
        fleet.deepProbeSucceeded(name);
        fleet.probed(name, BackendState.Health.READY, null);
        return discover(b);
      }
      fleet.probed(name, BackendState.Health.DOWN, r.detail());
      return Future.succeededFuture();
    });
  }

  private Future<Void> discover(BackendState b) {
    return probe.discover(b.config()).map(d -> {
      if (!stopped) {
        fleet.discovered(b.config().name(), d.models(), d.modelProblem(), d.window(), d.windowProblem());
      }
      return null;
    });
  }
}
