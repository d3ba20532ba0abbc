package dev.tiergate.app;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Map;

/**
 * Exercises the start-up and request paths once (a simulator, the gateway, a streamed and a plain
 * chat, a scrape) so the build can record the classes it loads into a class-data-sharing archive:
 * with {@code -XX:SharedArchiveFile=target/tiergate.jsa} the JVM maps them instead of loading and
 * verifying them one by one, which roughly halves the time to ready.
 */
final class CdsTraining {
  private CdsTraining() {}

  static void run() {
    // The same transport as a real start, so its classes are in the archive too.
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    try {
      SimServer sim = Launch.await(SimServer.start(vertx, SimOptions.defaults("vllm").withPort(0).withModel("m")
          .withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false)));
      GatewayConfig config = ConfigLoader.withEnv(Map.of("SIM", "http://127.0.0.1:" + sim.port())).parse("training", """
          server: { port: 0, instances: 1 }
          routing: { defaultTier: fast }
          tiers:
            - name: fast
              backends: [{ name: f, url: "${SIM}", engine: vllm, model: m }]
          """);
      Gateway g = Launch.await(Gateway.start(vertx, config));
      HttpClient client = vertx.createHttpClient();
      String chat = "{\"model\":\"m\",\"max_tokens\":4,\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      Launch.await(post(client, g.port(), chat.formatted("true"))
          .compose(v -> post(client, g.port(), chat.formatted("false")))
          .compose(v -> client.request(HttpMethod.GET, g.port(), "127.0.0.1", "/metrics")
              .compose(r -> r.send().compose(resp -> resp.body())).mapEmpty()));
    } finally {
      Launch.await(vertx.close());
    }
  }

  private static Future<Void> post(HttpClient client, int port, String body) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/v1/chat/completions").putHeader("content-type", "application/json");
    return client.request(o).compose(r -> r.send(Buffer.buffer(body)).compose(resp -> resp.body())).mapEmpty();
  }
}
