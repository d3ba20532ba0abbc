package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pooled HTTP/1.1 client per backend. Streams hold a connection for minutes, so the pool is
 * sized for many concurrent streams rather than for short requests. A backend is known by name and
 * URL: after a reload moved a name to another URL, the old client serves the streams that started
 * on it until {@link #retire} closes it.
 */
public final class UpstreamClients {
  /**
   * Seconds an idle pooled connection is kept. Below the 5 s after which the engines close one
   * (uvicorn in vLLM and SGLang, cpp-httplib in llama.cpp and ik_llama.cpp): the side that closes
   * must be the gateway, or a request can be written on a connection the engine is closing at that
   * moment and fail as if the engine had broken.
   */
  static final int IDLE_KEEP_ALIVE_SECONDS = 4;

  private final Vertx vertx;
  private final int maxConnections;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();
  private final Map<String, Origin> origins = new ConcurrentHashMap<>();
  private final Secrets secrets;

  public UpstreamClients(Vertx vertx, int maxConnectionsPerBackend, Secrets secrets) {
    this.vertx = vertx;
    this.maxConnections = maxConnectionsPerBackend;
    this.secrets = secrets;
  }

  /** What an engine's error text must never show a client. */
  public Secrets secrets() {
    return secrets;
  }

  public HttpClient of(BackendConfig backend) {
    return clients.computeIfAbsent(key(backend), n -> create());
  }

  /** A reload removed or replaced the backend and its last request ended: its pooled connections go. */
  public Future<Void> retire(BackendConfig backend) {
    HttpClient c = clients.remove(key(backend));
    return c == null ? Future.succeededFuture() : c.close();
  }

  private static String key(BackendConfig backend) {
    return backend.name() + ' ' + backend.url();
  }

  Origin origin(BackendConfig backend) {
    return origins.computeIfAbsent(backend.url(), Origin::of);
  }

  private HttpClient create() {
    HttpClientOptions options = new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(IDLE_KEEP_ALIVE_SECONDS)
        .setTcpNoDelay(true)
        .setDecompressionSupported(false)
        .setMaxInitialLineLength(8192);
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(maxConnections * 4);
    return vertx.createHttpClient(options, pool);
  }

  public Future<Void> close() {
    List<Future<Void>> all = new ArrayList<>();
    clients.values().forEach(c -> all.add(c.close()));
    return Future.all(all).mapEmpty();
  }
}
