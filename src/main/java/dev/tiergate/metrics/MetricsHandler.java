package dev.tiergate.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics} in the Prometheus text format (0.0.4, which every Prometheus accepts). The
 * scrape walks every meter and builds a string of tens of kilobytes, so it runs on a worker
 * thread rather than on the event loop that also relays streams.
 */
public final class MetricsHandler implements Handler<RoutingContext> {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final MeterRegistry registry;

  public MetricsHandler(GatewayMetrics metrics) {
    this.registry = metrics.registry();
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      ctx.response().setStatusCode(503).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
          .end("the gateway was started without a Prometheus registry\n");
      return;
    }
    ctx.vertx().executeBlocking(prometheus::scrape, false).onComplete(ar -> {
      if (ctx.response().closed()) {
        return;
      }
      if (ar.failed()) {
        ctx.response().setStatusCode(500).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
            .end("scrape failed: " + ar.cause() + "\n");
        return;
      }
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(ar.result());
    });
  }
}
