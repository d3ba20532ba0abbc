package dev.tiergate.testing;

import dev.tiergate.app.Gateway;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A gateway in front of simulators, started in-process for one test class. Sims are declared by
 * backend name; the YAML config refers to them as {@code ${SIM_<NAME>}} URLs.
 *
 * <pre>
 * TestGateway gw = TestGateway.builder()
 *     .sim("fast-1", SimOptions.defaults("vllm").withDecodeTps(2000))
 *     .config("""
 *        routing: { defaultTier: fast }
 *        tiers:
 *          - name: fast
 *            backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
 *        """)
 *     .start();
 * </pre>
 */
public final class TestGateway implements AutoCloseable {
  private final Vertx vertx;
  private final Map<String, SimServer> sims;
  private final Gateway gateway;
  private final HttpClient client;
  private final Context context;

  private TestGateway(Vertx vertx, Map<String, SimServer> sims, Gateway gateway) {
    this.vertx = vertx;
    this.sims = sims;
    this.gateway = gateway;
    this.client = vertx.createHttpClient();
    this.context = vertx.getOrCreateContext();
  }

  /**
   * Runs a client exchange on one event loop. Started from the test thread, the steps of a
   * composed exchange would hop between threads, and a response's body could arrive before
   * {@code body()} was asked for it: the exchange then hangs.
   */
  public <T> Future<T> onLoop(Supplier<Future<T>> exchange) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> exchange.get().onComplete(p));
    return p.future();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Vertx vertx() {
    return vertx;
  }

  public Gateway gateway() {
    return gateway;
  }

  public SimServer sim(String backend) {
    SimServer s = sims.get(backend);
    if (s == null) {
      throw new IllegalArgumentException("no sim named " + backend);
    }
    return s;
  }

  public int port() {
    return gateway.port();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public HttpClient client() {
    return client;
  }

  /** A complete exchange: status, headers and the whole body (fine for tests, never in the gateway). */
  public record Reply(int status, io.vertx.core.MultiMap headers, String body) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  public Reply post(String path, String json, String... headerPairs) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port()).setURI(path)
        .putHeader("content-type", "application/json");
    for (int i = 0; i + 1 < headerPairs.length; i += 2) {
      o.putHeader(headerPairs[i], headerPairs[i + 1]);
    }
    return await(onLoop(() -> client.request(o).compose(req -> req.send(Buffer.buffer(json)))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())))));
  }

  public Reply get(String path, String... headerPairs) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port()).setURI(path);
    for (int i = 0; i + 1 < headerPairs.length; i += 2) {
      o.putHeader(headerPairs[i], headerPairs[i + 1]);
    }
    return await(onLoop(() -> client.request(o).compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())))));
  }

  public Future<HttpClientResponse> open(String path, String json, String... headerPairs) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port()).setURI(path)
        .putHeader("content-type", "application/json");
    for (int i = 0; i + 1 < headerPairs.length; i += 2) {
      o.putHeader(headerPairs[i], headerPairs[i + 1]);
    }
    return onLoop(() -> client.request(o).compose(req -> req.send(Buffer.buffer(json))));
  }

  /** The cause of a future that must fail (within 30 s); a success is an assertion failure. */
  public static Throwable awaitFailure(Future<?> f) {
    CompletableFuture<?> cf = f.toCompletionStage().toCompletableFuture();
    try {
      Object v = cf.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + v);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no failure within 30 s", e);
    }
  }

  public static <T> T await(Future<T> f) {
    CompletableFuture<T> cf = f.toCompletionStage().toCompletableFuture();
    try {
      return cf.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("operation failed or timed out", e);
    }
  }

  @Override
  public void close() {
    try {
      // Like the real shutdown: probes stop before their client goes away with Vert.x.
      await(gateway.stop());
    } catch (AssertionError alreadyStopped) {
      // a test that stopped the gateway itself
    }
    try {
      await(vertx.close());
    } catch (AssertionError ignored) {
      // closing is best effort
    }
  }

  public static final class Builder {
    private final Map<String, SimOptions> sims = new LinkedHashMap<>();
    private final Map<String, String> extraEnv = new LinkedHashMap<>();
    private String yaml;
    private UnaryOperator<GatewayConfig> tweak = c -> c;
    private java.nio.file.Path file;

    public Builder sim(String backend, SimOptions options) {
      sims.put(backend, options);
      return this;
    }

    /** One more {@code ${NAME}} for the config, e.g. the URL of a {@link ReplayServer} or a {@link DeadPort}. */
    public Builder env(String name, String value) {
      extraEnv.put(name, value);
      return this;
    }

    public Builder config(String yaml) {
      this.yaml = yaml;
      return this;
    }

    /**
     * Writes the config to {@code file} and starts the gateway from it, so SIGHUP and
     * {@code POST /tiergate/reload} can read it again (with the same {@code ${SIM_…}} variables).
     */
    public Builder file(java.nio.file.Path file) {
      this.file = file;
      return this;
    }

    public Builder tweak(UnaryOperator<GatewayConfig> tweak) {
      this.tweak = tweak;
      return this;
    }

    /**
     * A start that never completes is a hang worth diagnosing (seen once in WarmSwapTest under CI):
     * every thread's stack goes to stderr, kept in the test's report, before the test fails.
     */
    private static Gateway awaitStart(io.vertx.core.Future<Gateway> start) {
      try {
        return await(start);
      } catch (AssertionError e) {
        StringBuilder sb = new StringBuilder("the gateway did not start; every thread:\n");
        Thread.getAllStackTraces().forEach((t, stack) -> {
          sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
          for (StackTraceElement el : stack) {
            sb.append("    at ").append(el).append('\n');
          }
        });
        System.err.print(sb);
        throw e;
      }
    }

    public TestGateway start() {
      Vertx vertx = Vertx.vertx(new VertxOptions()
          .setEventLoopPoolSize(2)
          .setMaxEventLoopExecuteTime(300)
          .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
          .setBlockedThreadCheckInterval(100)
          .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
          .setWarningExceptionTime(300)
          .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
      Map<String, SimServer> started = new LinkedHashMap<>();
      List<String> env = new ArrayList<>();
      for (Map.Entry<String, SimOptions> e : sims.entrySet()) {
        SimServer s = await(SimServer.start(vertx, e.getValue().withPort(0)));
        started.put(e.getKey(), s);
      }
      Map<String, String> vars = new LinkedHashMap<>();
      started.forEach((name, s) -> vars.put("SIM_" + name.toUpperCase().replace('-', '_').replace('.', '_'),
          "http://127.0.0.1:" + s.port()));
      vars.putAll(extraEnv);
      String full = yaml.contains("server:") ? yaml : "server: { port: 0, instances: 2 }\n" + yaml;
      Gateway g;
      if (file == null) {
        g = awaitStart(Gateway.start(vertx, tweak.apply(ConfigLoader.withEnv(vars).parse("test", full))));
      } else {
        ConfigLoader loader = ConfigLoader.withEnv(vars);
        try {
          java.nio.file.Files.writeString(file, full);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        GatewayConfig loaded = loader.loadFile(file);
        g = awaitStart(Gateway.start(vertx, tweak.apply(loaded), new dev.tiergate.app.ConfigFile(file, loader, loaded.server())));
      }
      return new TestGateway(vertx, started, g);
    }
  }
}
