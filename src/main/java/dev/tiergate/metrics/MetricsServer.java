package dev.tiergate.metrics;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * The optional management listener: only the scrape path, on its own host/port, so operators can
 * expose metrics to their Prometheus network without exposing the API (or the reverse).
 */
public final class MetricsServer {
  private MetricsServer() {}

  /** Port 0 binds a free port; read it from {@link HttpServer#actualPort()}. */
  public static Future<HttpServer> start(Vertx vertx, GatewayMetrics metrics, String host, int port, String path) {
    Router router = Router.router(vertx);
    router.get(path).handler(new MetricsHandler(metrics));
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(router).listen();
  }
}
