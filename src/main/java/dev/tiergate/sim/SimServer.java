package dev.tiergate.sim;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A simulated LLM engine speaking the wire dialect of vLLM, SGLang, llama.cpp or ik_llama.cpp.
 *
 * <p>Two kinds of verticle, so neither its engine nor its sockets share the caller's event loop (in the demo that
 * caller is the gateway under test). One engine verticle owns the {@link Scheduler}, its one timer and every
 * request's state ({@link SimCore}). {@link SimOptions#httpLoops()} listener instances share the port (Vert.x
 * spreads the connections over them): each parses its requests, answers the side routes from what the engine last
 * published, and formats and writes the output the engine hands it. So a thousand streams at 50 tokens/s cost the
 * engine's loop only the scheduling, and /health still answers when that loop is saturated.
 */
public final class SimServer {
  private final Vertx vertx;
  private final SimCore core;
  private final GenerateRoute generate;
  private final InfoRoutes info;
  private final SleepRoutes sleep;
  private final LoadRoutes load;
  private final PoolingRoutes pooling;
  /** Names this server's shared random port among the process's servers (a port of 0 is never shared). */
  private static final AtomicInteger SHARED_PORT_KEYS = new AtomicInteger();
  private final int sharedPortKey = 1 + Math.floorMod(SHARED_PORT_KEYS.getAndIncrement(), 60_000);
  private volatile HttpServer http;
  private volatile String engineDeploymentId;
  private volatile String httpDeploymentId;
  private volatile Future<Void> closing;

  private SimServer(Vertx vertx, SimOptions options) {
    this.vertx = vertx;
    this.core = new SimCore(vertx, options);
    this.generate = new GenerateRoute(core);
    this.info = new InfoRoutes(core);
    this.sleep = new SleepRoutes(core);
    this.load = new LoadRoutes(core);
    this.pooling = new PoolingRoutes(core);
  }

  public static Future<SimServer> start(Vertx vertx, SimOptions options) {
    SimServer s;
    try {
      s = new SimServer(vertx, options);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return vertx.deployVerticle(s.new EngineHost()).compose(engineId -> {
      s.engineDeploymentId = engineId;
      DeploymentOptions listeners = new DeploymentOptions().setInstances(options.httpLoops());
      return vertx.deployVerticle(() -> s.new Listener(), listeners)
          // a port in use: take the engine down again, nobody will close a server that never started
          .recover(err -> vertx.undeploy(engineId).transform(ar -> Future.failedFuture(err)));
    }).map(httpId -> {
      s.httpDeploymentId = httpId;
      return s;
    });
  }

  public int port() {
    return http.actualPort();
  }

  public SimOptions options() {
    return core.options;
  }

  public SimStats stats() {
    return core.stats;
  }

  /** Tests: the engine state behind this server. */
  SimCore core() {
    return core;
  }

  public synchronized Future<Void> close() {
    if (closing == null) {
      // the listeners end the engine's requests before they close the sockets (no client aborts counted), then
      // the engine goes; undeploy fails when Vert.x itself is already closing and has taken the sim down
      String httpId = httpDeploymentId;
      String engineId = engineDeploymentId;
      Future<Void> f = httpId == null ? Future.succeededFuture() : vertx.undeploy(httpId);
      closing = f.eventually(() -> engineId == null ? Future.succeededFuture() : vertx.undeploy(engineId))
          .recover(err -> Future.succeededFuture());
    }
    return closing;
  }

  @Override
  public String toString() {
    return "SimServer{" + core.engine.cliName + " on " + core.options.host() + ":"
        + (http == null ? "?" : http.actualPort()) + ", model=" + core.options.model() + "}";
  }

  /** The engine's context: the scheduler and every request's state; undeploying it stops the engine. */
  private final class EngineHost extends VerticleBase {
    @Override
    public Future<?> start() {
      core.bind(context);
      return Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
      core.shutdownAll();
      return Future.succeededFuture();
    }
  }

  /** One HTTP event loop of the server; its instances share one port. */
  private final class Listener extends VerticleBase {
    private HttpServer server;

    @Override
    public Future<?> start() {
      SimOptions o = core.options;
      SimCore.Writers loop = new SimCore.Writers(context);
      // port 0: a negative port is Vert.x's shared random port, the same one for every listener of this server
      int port = o.port() != 0 ? o.port() : -sharedPortKey;
      return vertx.createHttpServer().requestHandler(req -> handle(req, loop)).listen(port, o.host())
          .onSuccess(server -> {
            this.server = server;
            http = server;
          });
    }

    @Override
    public Future<?> stop() {
      // end the engine's requests before the sockets close, so the closes do not count as client aborts
      Promise<Void> ended = Promise.promise();
      core.onEngine(() -> {
        core.shutdownAll();
        context.runOnContext(v -> ended.complete());
      });
      HttpServer s = server;
      return ended.future().compose(v -> s == null ? Future.succeededFuture() : s.close());
    }
  }

  private void handle(HttpServerRequest req, SimCore.Writers loop) {
    java.util.Map<String, String> headers = new java.util.TreeMap<>();
    req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
    core.stats.onHeaders(headers);
    req.response().putHeader("Server", core.engine.python() ? "uvicorn" : "llama.cpp");
    // read every body first: the ik_llama loading hold would otherwise have to juggle a paused request
    req.body().onSuccess(body -> dispatch(req, body, loop));
  }

  private void dispatch(HttpServerRequest req, Buffer body, SimCore.Writers loop) {
    String path = req.path();
    HttpServerResponse resp = req.response();
    boolean generation = path.equals("/v1/chat/completions") || path.equals("/v1/completions")
        || path.equals("/v1/responses") || path.equals("/v1/messages");
    if (core.loading() && !generation) {
      switch (core.engine) {
        case VLLM -> {
          resp.setStatusCode(503);
          if (path.equals("/health")) {
            resp.end();
          } else {
            loading(core.engine, resp);
          }
          return;
        }
        case SGLANG -> {
          if (path.equals("/health")) {
            resp.setStatusCode(503).end();
            return;
          }
        }
        case LLAMACPP -> {
          if (!path.equals("/v1/models")) {
            loading(core.engine, resp);
            return;
          }
        }
        case IKLLAMA -> {
          vertx.setTimer(core.loadingRemainingMs(), t -> route(req, path, body, loop));
          return;
        }
      }
    }
    route(req, path, body, loop);
  }

  private void route(HttpServerRequest req, String path, Buffer body, SimCore.Writers loop) {
    HttpServerResponse resp = req.response();
    Engine e = core.engine;
    if (sleep.handle(req, path, body, loop)) {
      return;
    }
    switch (path) {
      case "/v1/chat/completions" -> {
        if (expect(req, HttpMethod.POST)) {
          generate.serve(req, SimApi.CHAT, body, loop);
        }
      }
      case "/v1/completions" -> {
        if (expect(req, HttpMethod.POST)) {
          generate.serve(req, SimApi.COMPLETIONS, body, loop);
        }
      }
      case "/v1/responses" -> generateIfServed(req, SimApi.RESPONSES, body, loop);
      case "/v1/messages" -> generateIfServed(req, SimApi.MESSAGES, body, loop);
      case "/v1/messages/count_tokens" -> {
        // vLLM's Anthropic router and llama.cpp count; SGLang's and ik_llama's builds do not route it
        if (e != Engine.VLLM && e != Engine.LLAMACPP) {
          notFound(e, resp);
        } else if (expect(req, HttpMethod.POST)) {
          pooling.count(req, SimApi.MESSAGES, body, true);
        }
      }
      case "/v1/responses/input_tokens", "/v1/chat/completions/input_tokens" -> {
        if (e != Engine.LLAMACPP) {
          notFound(e, resp);
        } else if (expect(req, HttpMethod.POST)) {
          pooling.count(req, path.startsWith("/v1/responses") ? SimApi.RESPONSES : SimApi.CHAT, body, false);
        }
      }
      case "/v1/embeddings" -> {
        if (expect(req, HttpMethod.POST)) {
          pooling.embeddings(req, body);
        }
      }
      case "/v1/rerank" -> {
        if (expect(req, HttpMethod.POST)) {
          pooling.rerank(req, body);
        }
      }
      case "/v1/models" -> {
        if (expect(req, HttpMethod.GET)) {
          info.models(resp);
        }
      }
      case "/health" -> {
        if (expect(req, HttpMethod.GET)) {
          info.health(resp);
        }
      }
      case "/metrics" -> {
        if (expect(req, HttpMethod.GET)) {
          load.metrics(resp);
        }
      }
      case "/slots" -> {
        if (!e.llamaFamily()) {
          notFound(e, resp);
        } else if (expect(req, HttpMethod.GET)) {
          load.slots(resp);
        }
      }
      case "/tokenize" -> {
        if (expect(req, HttpMethod.POST)) {
          info.tokenize(resp, body);
        }
      }
      case "/props" -> {
        if (!e.llamaFamily()) {
          notFound(e, resp);
        } else if (expect(req, HttpMethod.GET)) {
          info.props(resp);
        }
      }
      case "/get_model_info" -> {
        if (e != Engine.SGLANG) {
          notFound(e, resp);
        } else if (expect(req, HttpMethod.GET)) {
          info.modelInfo(resp);
        }
      }
      default -> notFound(e, resp);
    }
  }

  private void generateIfServed(HttpServerRequest req, SimApi api, Buffer body, SimCore.Writers loop) {
    if (!api.servedBy(core.engine)) {
      notFound(core.engine, req.response());
    } else if (expect(req, HttpMethod.POST)) {
      generate.serve(req, api, body, loop);
    }
  }

  private boolean expect(HttpServerRequest req, HttpMethod method) {
    if (req.method().equals(method)) {
      return true;
    }
    if (core.engine.python()) {
      json(core.engine, req.response(), 405, "{\"detail\":\"Method Not Allowed\"}");
    } else {
      notFound(core.engine, req.response()); // llama.cpp's router only knows path+method pairs (capture 09d)
    }
    return false;
  }

  private static void notFound(Engine e, HttpServerResponse resp) {
    if (e.python()) {
      json(e, resp, 404, "{\"detail\":\"Not Found\"}"); // FastAPI's default
    } else {
      json(e, resp, 404, "{\"error\":{\"message\":\"File Not Found\",\"type\":\"not_found_error\",\"code\":404}}");
    }
  }

  /** A 503 in the engine's words for "still loading the weights". */
  static void loading(Engine e, HttpServerResponse resp) {
    String msg = e.llamaFamily() ? "Loading model" : "The model is still loading";
    json(e, resp, 503, Errors.envelope(e, 503, msg, Errors.typeFor(e, 503)));
  }

  static void error(Engine e, HttpServerResponse resp, int code, String message) {
    json(e, resp, code, Errors.envelope(e, code, message, Errors.typeFor(e, code)));
  }

  static void json(Engine e, HttpServerResponse resp, int status, String body) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    resp.setStatusCode(status)
        .putHeader("Content-Type", e.llamaFamily() ? "application/json; charset=utf-8" : "application/json")
        .end(body);
  }
}
