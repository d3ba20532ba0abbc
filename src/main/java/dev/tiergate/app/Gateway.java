package dev.tiergate.app;

import dev.tiergate.api.ApiVerticle;
import dev.tiergate.api.Services;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.ServerConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.routing.TierRouter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The running gateway: shared services plus N API verticle instances on one port. */
public final class Gateway {
  private final Vertx vertx;
  private final Services services;
  private String deploymentId;

  private Gateway(Vertx vertx, Services services) {
    this.vertx = vertx;
    this.services = services;
  }

  public static Future<Gateway> start(Vertx vertx, GatewayConfig requested) {
    GatewayConfig config = withConcretePort(requested);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Fleet fleet = new Fleet(config);
    Services services = new Services(config, new TierRouter(config), fleet, new GatewayMetrics(registry, config),
        new Services.Lifecycle());
    Gateway g = new Gateway(vertx, services);
    DeploymentOptions options = new DeploymentOptions().setInstances(config.server().instances());
    return vertx.deployVerticle(() -> new ApiVerticle(services), options).map(id -> {
      g.deploymentId = id;
      return g;
    });
  }

  public Services services() {
    return services;
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
      ServerConfig sc = c.server();
      return c.withServer(new ServerConfig(sc.host(), s.getLocalPort(), sc.maxBodyBytes(), sc.maxResponseBytes(),
          sc.instances(), sc.drainMs()));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot find a free port on " + c.server().host(), e);
    }
  }

  /** Stops taking new requests and completes when nothing is in flight any more. */
  public Future<Void> drain() {
    services.lifecycle().startDraining();
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    long timer = vertx.setPeriodic(50, id -> {
      if (services.fleet().all().stream().allMatch(b -> b.inflight() == 0)) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  public Future<Void> stop() {
    return deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
  }
}
