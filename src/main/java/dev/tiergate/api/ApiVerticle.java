package dev.tiergate.api;

import dev.tiergate.config.AuthConfig;
import dev.tiergate.errors.ErrorJson;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.metrics.MetricsHandler;
import dev.tiergate.upstream.UpstreamClients;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** One event loop's HTTP server with the OpenAI surface; several instances share the port. */
public final class ApiVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.api");

  private final Services services;
  private final Console console;
  /** Null while CORS is off; server.* is fixed for the process, so it is read once. */
  private final Cors cors;
  private UpstreamClients clients;
  private Connections connections;
  private HttpServer server;

  public ApiVerticle(Services services) {
    this(services, null);
  }

  /** @param console the operator console, or null when {@code console.enabled} is false */
  public ApiVerticle(Services services, Console console) {
    this.services = services;
    this.console = console;
    this.cors = Cors.of(services.config().server().cors());
  }

  @Override
  public Future<?> start() {
    clients = new UpstreamClients(vertx, 4096, services.secrets());
    // A backend a reload removed closes its pooled connections on this loop, where its client lives.
    Context here = context;
    services.onRetire(b -> {
      Promise<Void> closed = Promise.promise();
      here.runOnContext(v -> clients.retire(b).onComplete(closed));
      return closed.future();
    });
    connections = new Connections(vertx, services.config().server(), services.openConnections(), services.metrics());
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
    server = vertx.createHttpServer(options)
        .connectionHandler(connections::accept)
        .invalidRequestHandler(ApiVerticle::unparsable)
        .requestHandler(req -> accept(req, router));
    // With limits in Redis, this loop's connection is opened before the first request needs it.
    return services.limits().warmUp().compose(v -> server.listen()).onSuccess(services.shutdown()::register);
  }

  @Override
  public Future<?> stop() {
    return clients.close();
  }

  public int actualPort() {
    return server.actualPort();
  }

  private void accept(HttpServerRequest req, Router router) {
    req.response().putHeader(Decision.REQUEST_ID, RequestIds.of(req));
    if (cors != null) {
      cors.mark(req);
    }
    if (!connections.begin(req)) {
      return;
    }
    if (req.method() == HttpMethod.OPTIONS) {
      if (cors != null && cors.preflight(req)) {
        return;
      }
      // Answered before routing: a catch-all OPTIONS route would turn every unknown path's 404 into 405.
      String path = req.path();
      String allow = path == null || path.equals("*") ? "GET, HEAD, POST, OPTIONS"
          : path.startsWith("/v1/") && !path.equals("/v1/models") ? "POST, OPTIONS" : "GET, HEAD, OPTIONS";
      req.response().setStatusCode(204).putHeader(HttpHeaders.ALLOW, allow).end();
      return;
    }
    if (req.uri().equals("*")) {
      Responses.error(req.response(), GatewayError.invalid("The request target '*' is only valid with OPTIONS.", null), 1);
      return;
    }
    router.handle(req);
  }

  /**
   * A request the HTTP decoder could not read (a request line or headers over its limits, a broken
   * line or length) gets the envelope and request id every answer carries, then its connection is
   * closed: nothing after it on the wire can be trusted.
   */
  private static void unparsable(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String message = status == 414 ? "The request line is too long."
        : status == 431 ? "The request headers are too large." : "The request is not valid HTTP/1.1.";
    req.response().setStatusCode(status)
        .putHeader(Decision.REQUEST_ID, RequestIds.of(req))
        .putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON)
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(ErrorJson.body(message, "invalid_request_error", null, null))
        .onComplete(ar -> req.connection().close());
  }

  Router router() {
    Router router = Router.router(vertx);
    for (Endpoint e : Endpoint.values()) {
      RouteStage route = new RouteStage(services);
      List<Stage> stages = new java.util.ArrayList<>(List.of(
          new AcceptStage(services),
          new AuthStage(services),
          new ReadStage(services.config().server(), services.budget(), services.metrics()),
          new ParseStage(services),
          new LimitStage(services),
          route,
          new SwapWaitStage(services, route)));
      // Always in the chain: a reload may give a tier admission control (it passes at once otherwise).
      stages.add(new AdmitStage(services));
      stages.add(new CallStage(services, clients, services.budget()));
      router.post(e.path).handler(new Pipeline(e, services, stages));
    }
    get(router, "/v1/models", AdminGate.anyKey(services.keys(), services.metrics(), new ModelsHandler(services)));
    get(router, "/health", ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end("{\"status\":\"ok\"}"));
    get(router, "/ready", this::ready);
    boolean keyed = services.keys().enabled();
    get(router, "/tiergate/status", admin(new StatusHandler(services)));
    // With keys, an admin key opens the operator actions; without, only lifecycle.adminEndpoints does.
    if (keyed || services.config().lifecycle().adminEndpoints()) {
      AdminHandler ops = new AdminHandler(services.lifecycles());
      router.post("/tiergate/tiers/:name/activate").handler(admin(ops::activate));
      router.post("/tiergate/groups/:name/stop").handler(admin(ops::stop));
    }
    if (console != null) {
      console(router);
    }
    if (keyed) {
      router.post("/tiergate/reload-keys").handler(admin(new ReloadKeysHandler(services)));
    }
    router.post("/tiergate/reload").handler(admin(new ReloadHandler(services)));
    if (services.config().metrics().onGatewayPort()) {
      MetricsHandler metrics = new MetricsHandler(services.metrics());
      get(router, services.config().metrics().path(),
          services.config().auth().metrics() == AuthConfig.MetricsAccess.OPEN ? metrics : admin(metrics));
    }
    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> fail(ctx, GatewayError.of(Kind.NOT_FOUND,
        "Unknown request URL: " + ctx.request().method() + " " + ctx.request().path() + ". Try /v1/chat/completions.")));
    router.errorHandler(405, ctx -> fail(ctx, GatewayError.of(Kind.METHOD_NOT_ALLOWED,
        "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path() + ".")));
    router.errorHandler(500, this::failure);
    return router;
  }

  /** The status page and what it reads: the page itself is static and open, its data is admin-only with keys. */
  private void console(Router router) {
    ConsoleHandler c = new ConsoleHandler(services, console);
    get(router, "/", c::page);
    get(router, "/tiergate", c::page);
    get(router, "/tiergate/", c::page);
    get(router, "/tiergate/console.js", c::script);
    get(router, "/tiergate/console.css", c::style);
    router.get("/tiergate/events").handler(admin(c::events));
    get(router, "/tiergate/console/state", admin(c::state));
    get(router, "/tiergate/report", admin(c::report));
    router.post("/tiergate/report").handler(admin(c::publish));
  }

  private Handler<RoutingContext> admin(Handler<RoutingContext> next) {
    return AdminGate.of(services.keys(), services.metrics(), next);
  }

  /** GET routes answer HEAD too (headers only), as every HTTP server should. */
  private static void get(Router router, String path, Handler<RoutingContext> handler) {
    router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(handler);
  }

  private void ready(RoutingContext ctx) {
    boolean ok = !services.shutdown().draining() && services.fleet().anyRoutable();
    ctx.response().setStatusCode(ok ? 200 : 503).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON)
        .end(ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not_ready\"}");
  }

  private void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t instanceof GatewayError g) {
      fail(ctx, g);
      return;
    }
    LOG.log(System.Logger.Level.ERROR, "request " + ctx.response().headers().get(Decision.REQUEST_ID) + " on "
        + ctx.request().path() + " failed unexpectedly (status " + ctx.statusCode() + ")", t);
    services.metrics().internalError();
    fail(ctx, GatewayError.of(Kind.INTERNAL, "internal gateway error (request id "
        + ctx.response().headers().get(Decision.REQUEST_ID) + ")"));
  }

  private static void fail(RoutingContext ctx, GatewayError e) {
    if (ctx.request().method() == HttpMethod.HEAD) {
      ctx.response().setStatusCode(e.status()).end();
      return;
    }
    Responses.error(ctx.response(), e, 1, Endpoint.shapeForPath(ctx.request().path()));
  }
}
