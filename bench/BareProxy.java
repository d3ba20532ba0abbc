// The floor for a Java gateway: the least a Vert.x 5 reverse proxy can do per request (read the body,
// forward it on a pooled keep-alive connection, copy status, content type and body back, pipe streams),
// with tiergate's transport settings and nothing else: no parsing, routing, metrics or deadlines.
// bench/overhead.sh runs it as the "vertx" arm with Java's source launcher, against tiergate's jar:
//   java -cp target/tiergate.jar bench/BareProxy.java <port> <upstream port> [event loops, default: cores]
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

public class BareProxy extends VerticleBase {
  private final int port;
  private final int upstream;
  private HttpClient client;

  BareProxy(int port, int upstream) {
    this.port = port;
    this.upstream = upstream;
  }

  @Override
  public Future<?> start() {
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(4096));
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true)
        .setStrictThreadMode(true).setHttp2ClearTextEnabled(false);
    return vertx.createHttpServer(options).requestHandler(this::proxy).listen();
  }

  private void proxy(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      RequestOptions o = new RequestOptions().setMethod(req.method()).setHost("127.0.0.1").setPort(upstream)
          .setURI(req.uri()).putHeader("content-type", "application/json");
      client.request(o).compose(r -> r.send(body)).onComplete(ar -> {
        HttpServerResponse resp = req.response();
        if (ar.failed()) {
          resp.setStatusCode(502).end();
          return;
        }
        HttpClientResponse up = ar.result();
        resp.setStatusCode(up.statusCode());
        String type = up.getHeader("content-type");
        if (type != null) {
          resp.putHeader("content-type", type);
        }
        if (type != null && type.startsWith("text/event-stream")) {
          resp.setChunked(true);
          up.pipeTo(resp);
        } else {
          up.body().onSuccess(resp::end).onFailure(t -> resp.reset());
        }
      });
    });
  }

  public static void main(String[] args) {
    System.setProperty("io.netty.jfr.enabled", "false");
    int port = Integer.parseInt(args[0]);
    int upstream = Integer.parseInt(args[1]);
    int loops = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    vertx.deployVerticle(() -> new BareProxy(port, upstream), new DeploymentOptions().setInstances(loops))
        .onSuccess(id -> System.out.println("bare Vert.x proxy on " + port + " -> " + upstream + ", native transport: "
            + vertx.isNativeTransportEnabled()))
        .onFailure(t -> {
          t.printStackTrace();
          System.exit(1);
        });
  }
}
