package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.MetricsHandler;
import dev.tiergate.upstream.UpstreamClients;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;

/** One event loop's HTTP server with the OpenAI surface; several instances share the port. */
public final class ApiVerticle extends VerticleBase {
  /** How long an oversized body is drained before its connection is closed anyway. */
  private static final long LINGER_MS = 5_000;

  private final Services services;
  private UpstreamClients clients;
  private HttpServer server;

  public ApiVerticle(Services services) {
    this.services = services;
  }

  @Override
  public Future<?> start() {
    clients = new UpstreamClients(vertx, 4096);
    Router router = router();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(services.config().server().host())
        .setPort(services.config().server().port())
        .setTcpNoDelay(true)
        .setCompressionSupported(false)
        // Handlers for protocols the gateway does not speak would sit in every connection's pipeline.
        .setHttp2ClearTextEnabled(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        // Requests and responses are only touched on their own event loop, which lets Vert.x skip
        // cross-thread hand-offs on every write.
        .setStrictThreadMode(true);
    server = vertx.createHttpServer(options).requestHandler(router);
    return server.listen().onSuccess(services.lifecycle()::register);
  }

  @Override
  public Future<?> stop() {
    return clients.close();
  }

  public int actualPort() {
    return server.actualPort();
  }

  Router router() {
    Router router = Router.router(vertx);
    long limit = services.config().server().maxBodyBytes();
    BodyHandler body = BodyHandler.create(false).setBodyLimit(limit).setMergeFormAttributes(false);
    for (Endpoint e : Endpoint.values()) {
      router.post(e.path).handler(body).handler(ApiVerticle::requireJson).handler(new ProxyHandler(e, services, clients));
    }
    router.get("/v1/models").handler(new ModelsHandler(services.config(), services.fleet()));
    router.get("/health").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end("{\"status\":\"ok\"}"));
    router.get("/ready").handler(this::ready);
    router.get("/tiergate/status").handler(new StatusHandler(services));
    if (services.config().metrics().onGatewayPort()) {
      router.get(services.config().metrics().path()).handler(new MetricsHandler(services.metrics()));
    }
    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> fail(ctx, GatewayError.of(Kind.NOT_FOUND,
        "Unknown request URL: " + ctx.request().method() + " " + ctx.request().path() + ". Try /v1/chat/completions.")));
    router.errorHandler(405, ctx -> fail(ctx, GatewayError.of(Kind.METHOD_NOT_ALLOWED,
        "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path() + ".")));
    router.errorHandler(413, ctx -> fail(ctx, tooLarge(limit)));
    router.errorHandler(500, ctx -> fail(ctx, GatewayError.from(ctx.failure())));
    return router;
  }

  private void ready(RoutingContext ctx) {
    boolean ok = !services.lifecycle().draining() && services.fleet().anyRoutable();
    ctx.response().setStatusCode(ok ? 200 : 503).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON)
        .end(ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not_ready\"}");
  }

  /** OpenAI clients always send JSON; a form-encoded body is a forgotten header, said plainly. */
  private static void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String t = type.toLowerCase(Locale.ROOT);
      if (!t.startsWith("application/json") && !(t.startsWith("application/") && t.contains("+json"))) {
        fail(ctx, GatewayError.of(Kind.UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json, got '" + type + "' (curl: add -H 'Content-Type: application/json')."));
        return;
      }
    }
    ctx.next();
  }

  private void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t instanceof GatewayError g) {
      fail(ctx, g);
    } else if (ctx.statusCode() == 413) {
      fail(ctx, tooLarge(services.config().server().maxBodyBytes()));
    } else if (ctx.statusCode() == 400) {
      fail(ctx, GatewayError.invalid("Bad request", null));
    } else {
      fail(ctx, GatewayError.from(t));
    }
  }

  private static GatewayError tooLarge(long limit) {
    return GatewayError.of(Kind.PAYLOAD_TOO_LARGE, "The request body exceeds the limit of " + limit + " bytes.");
  }

  /**
   * The rest of an oversized body is still on the wire, so the connection cannot carry another
   * request. Closing at once would make the kernel reset it and the client could lose the 413;
   * like nginx, read and drop the rest for a while, then close.
   */
  private static void lingeringClose(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    if (req.isEnded()) {
      return;
    }
    long timer = ctx.vertx().setTimer(LINGER_MS, id -> req.connection().close());
    req.handler(dropped -> { });
    req.endHandler(v -> {
      ctx.vertx().cancelTimer(timer);
      req.connection().close();
    });
    req.resume();
  }

  private static void fail(RoutingContext ctx, GatewayError e) {
    if (e.kind() == Kind.PAYLOAD_TOO_LARGE) {
      lingeringClose(ctx);
    }
    if (ctx.request().method() == HttpMethod.HEAD) {
      ctx.response().setStatusCode(e.status()).end();
      return;
    }
    Responses.error(ctx.response(), e, 1);
  }
}
