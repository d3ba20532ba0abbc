package dev.tiergate.app;

import dev.tiergate.admission.Admissions;
import dev.tiergate.api.ApiVerticle;
import dev.tiergate.api.Console;
import dev.tiergate.api.Generation;
import dev.tiergate.api.Shutdown;
import dev.tiergate.api.Services;
import dev.tiergate.auth.Keys;
import dev.tiergate.auth.LimitEvents;
import dev.tiergate.auth.Limits;
import dev.tiergate.auth.Principal;
import dev.tiergate.bench.TierReport;
import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.ConsoleConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.MetricsConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.fleet.BackendState;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.fleet.Prober;
import dev.tiergate.lifecycle.Drainer;
import dev.tiergate.lifecycle.Lifecycles;
import dev.tiergate.lifecycle.SwapObserver;
import dev.tiergate.metrics.BackendGauges;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.metrics.MetricsServer;
import dev.tiergate.metrics.RecentRequests;
import dev.tiergate.routing.TierRouter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/** The running gateway: shared services plus N API verticle instances on one port. */
public final class Gateway {
  private final Vertx vertx;
  private final Services services;
  private String deploymentId;
  private HttpServer metricsServer;
  private Reloader reloader;
  private Console console;

  private Gateway(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
  }

  /** A gateway whose config cannot be reloaded (it came from no file: tests, the demo). */
  public static Future<Gateway> start(Vertx vertx, GatewayConfig requested) {
    return start(vertx, requested, null);
  }

  /**
   * A gateway started from {@code file}: SIGHUP and {@code POST /tiergate/reload} read it again.
   * {@code requested} is what the file said, perhaps with another port.
   */
  public static Future<Gateway> start(Vertx vertx, GatewayConfig requested, ConfigFile file) {
    GatewayConfig config = withConcretePort(requested);
    JsonObject report = report(config.console());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Fleet fleet = new Fleet(config);
    // Until the services exist, the first fleet is the one in force; a reload's draining backends are found by name too.
    AtomicReference<Services> running = new AtomicReference<>();
    AtomicReference<Reloader> reloads = new AtomicReference<>();
    Function<String, BackendState> lookup = name -> {
      Services sv = running.get();
      BackendState s = (sv == null ? fleet : sv.fleet()).get(name);
      Reloader r = reloads.get();
      return s != null || r == null ? s : r.draining(name);
    };
    GatewayMetrics metrics = new GatewayMetrics(registry, config, gauges(lookup)).bindProcessMetrics();
    // Every finished request teaches the fleet its backend's rates (prefill by length, decode by concurrency).
    metrics.onSample(s -> {
      if (s.ok() && s.generative()) {
        long uncached = s.promptTokens() < 0 ? -1 : s.promptTokens() - Math.max(0, s.cachedTokens());
        Services sv = running.get();
        (sv == null ? fleet : sv.fleet()).learn(s.backend(), uncached, s.upstreamTtftNanos() / 1e6, s.aheadTokens(),
            s.decodeTps(), s.streamsAtStart());
      }
    });
    Shutdown shutdown = new Shutdown();
    Drainer drainer = shutdown::cutTier;
    // Read before anything starts: a bad keys file stops the start with its problems.
    Keys keys = new Keys(config, ConfigLoader.withSystemEnv());
    metrics.registerKeys(keys.principals().stream().map(Principal::name).toList());
    Limits limits = Limits.create(vertx, config, limitEvents(metrics));
    Console console = console(config, metrics, report);
    // Groups decide what is live (adopt a running engine or start home) without waiting for a boot.
    return Lifecycles.start(vertx, config, fleet, drainer, observer(metrics)).compose(lifecycles -> {
      TierRouter router = new TierRouter(config);
      Admissions admissions = new Admissions(vertx, config, fleet, router);
      Services services = new Services(new Generation(1, config, router, fleet, admissions), metrics, shutdown, lifecycles,
          keys, limits);
      running.set(services);
      // Read through the generation in force: a reload may bring other queues.
      metrics.bindQueueLengths(admissions.backends(), b -> services.admissions().queueLength(b));
      metrics.bindLimitGauges(() -> services.openConnections().get(), () -> services.budget().used());
      Gateway g = new Gateway(vertx, services);
      g.console = console;
      g.reloader = new Reloader(vertx, services, file, new Prober(vertx, fleet, config));
      reloads.set(g.reloader);
      if (file != null) {
        services.reload(g.reloader);
      }
      DeploymentOptions options = new DeploymentOptions().setInstances(config.server().instances());
      return vertx.deployVerticle(() -> new ApiVerticle(services, console), options).compose(id -> {
        g.deploymentId = id;
        // Not awaited: a backend that hangs while loading must not delay the gateway's own start.
        g.reloader.prober().start();
        return g.startMetricsServer();
      }).map(v -> g);
    });
  }

  /** The status page's state, fed by every finished request; null when {@code console.enabled} is false. */
  private static Console console(GatewayConfig config, GatewayMetrics metrics, JsonObject report) {
    ConsoleConfig c = config.console();
    if (!c.enabled()) {
      return null;
    }
    List<String> tiers = config.tiers().stream().map(TierConfig::name).toList();
    RecentRequests recent = new RecentRequests(tiers, c.recentRequests(), System::currentTimeMillis);
    metrics.onSample(recent::add);
    Console console = new Console(c, recent, TierReport::svg);
    if (report != null) {
      console.report(report, c.report());
    }
    return console;
  }

  /**
   * {@code console.report}, read and checked before anything starts (like the keys file): a report
   * that cannot be shown stops the start and says why.
   */
  private static JsonObject report(ConsoleConfig c) {
    if (!c.enabled() || c.report() == null) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(Files.readString(Path.of(c.report())));
      TierReport.fromJson(json);
      return json;
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("console.report", List.of("console.report: cannot show '" + c.report() + "': " + e.getMessage()));
    }
  }

  /** The limit store's state as the metrics package sees it (it may not import auth). */
  private static LimitEvents limitEvents(GatewayMetrics metrics) {
    return new LimitEvents() {
      @Override
      public void storeUp(boolean up) {
        metrics.limitStoreUp(up);
      }

      @Override
      public void storeUnavailable(boolean failOpen) {
        metrics.limitStoreUnavailable(failOpen);
      }
    };
  }

  /** Swaps as the metrics package sees them (it may not import lifecycle). */
  private static SwapObserver observer(GatewayMetrics metrics) {
    return new SwapObserver() {
      @Override
      public void swapped(String group, String from, String to, String outcome, String mode, Map<String, Long> phaseNanos) {
        metrics.swapped(group, from, to, outcome, mode, phaseNanos);
      }

      @Override
      public void warmFallback(String tier, String reason) {
        metrics.warmFallback(tier, reason);
      }

      @Override
      public void waited(String tier, long nanos) {
        metrics.swapWaited(tier, nanos);
      }

      @Override
      public void queueLength(String group, int length) {
        metrics.swapQueueLength(group, length);
      }

      @Override
      public void tierLive(String tier, boolean live) {
        metrics.tierLive(tier, live);
      }
    };
  }

  /** The fleet's live state as the metrics package may see it (it must not import fleet). */
  private static BackendGauges gauges(Function<String, BackendState> lookup) {
    return new BackendGauges() {
      @Override
      public int inflight(String backend) {
        BackendState s = lookup.apply(backend);
        return s == null ? 0 : s.inflight();
      }

      @Override
      public boolean up(String backend) {
        BackendState s = lookup.apply(backend);
        if (s == null) {
          return false;
        }
        BackendState.Health h = s.health();
        return h != BackendState.Health.DOWN && h != BackendState.Health.LOADING && !s.circuitOpen(System.nanoTime());
      }
    };
  }

  /** A separate management listener for /metrics when metrics.port is set; otherwise ApiVerticle serves it. */
  private Future<Void> startMetricsServer() {
    MetricsConfig m = services.config().metrics();
    if (!m.separatePort()) {
      return Future.succeededFuture();
    }
    String host = m.host() != null ? m.host() : services.config().server().host();
    return MetricsServer.start(vertx, services.metrics(), host, m.port(), m.path()).map(s -> {
      metricsServer = s;
      return null;
    });
  }

  /** The port serving the metrics path: the management port when configured, else the gateway's; -1 when disabled. */
  public int metricsPort() {
    if (metricsServer != null) {
      return metricsServer.actualPort();
    }
    return services.config().metrics().onGatewayPort() ? port() : -1;
  }

  public Services services() {
    return services;
  }

  /** The operator console, or null when it is disabled. */
  public Console console() {
    return console;
  }

  /** Reads the config file again (SIGHUP, {@code POST /tiergate/reload}); fails when the gateway came from no file. */
  public Future<JsonObject> reload(String trigger) {
    return services.reload().reload(trigger);
  }

  /** Whether this gateway knows the file it came from. */
  public boolean reloadable() {
    return reloader.file() != null;
  }

  public int port() {
    return services.config().server().port();
  }

  /**
   * Port 0 means "any free port"; it is resolved once here because every verticle instance must
   * bind the same port to share it.
   */
  private static GatewayConfig withConcretePort(GatewayConfig c) {
    if (c.server().port() != 0) {
      return c;
    }
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(c.server().host()))) {
      return c.withServer(c.server().withPort(s.getLocalPort()));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot find a free port on " + c.server().host(), e);
    }
  }

  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish for up to {@code drainMs},
   * then cut the streams still open with an error event. Completes when nothing is in flight.
   */
  public Future<Void> drain(long drainMs) {
    Shutdown shutdown = services.shutdown();
    shutdown.startDraining(drainMs + 1_000);
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + drainMs * 1_000_000L;
    long timer = vertx.setPeriodic(20, id -> {
      boolean idle = services.fleet().all().stream().allMatch(b -> b.inflight() == 0) && shutdown.openStreams() == 0;
      if (idle) {
        done.tryComplete();
      } else if (System.nanoTime() > deadline) {
        shutdown.cutAll("the gateway is shutting down; the stream was cut after the drain time of " + drainMs + " ms");
      }
    });
    return done.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  public Future<Void> stop() {
    services.metrics().close();
    reloader.stop();
    // Engines this gateway started must not outlive it (SIGTERM, then SIGKILL after their grace time).
    Future<Void> engines = vertx.executeBlocking(() -> {
      services.lifecycles().shutdown();
      return null;
    }, false);
    Future<Void> metrics = metricsServer == null ? Future.succeededFuture() : metricsServer.close();
    Future<Void> limits = services.limits().close();
    Future<Void> api = deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
    // join, not all: a part that fails must not let Vert.x close while engines are still being stopped.
    return Future.join(metrics, api, engines, limits).mapEmpty();
  }
}
