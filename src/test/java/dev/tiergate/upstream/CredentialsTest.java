package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.app.Gateway;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The engine gets the key from the config; the client's own Authorization never leaves the gateway. */
class CredentialsTest {
  @Test
  void backendKeyIsSentAndClientKeyIsNot() {
    Vertx vertx = Vertx.vertx();
    try {
      List<String> seen = new CopyOnWriteArrayList<>();
      HttpServer engine = TestGateway.await(vertx.createHttpServer().requestHandler(req -> {
        seen.add(req.path() + " " + req.getHeader("authorization"));
        if (req.path().equals("/health")) {
          req.response().end();
          return;
        }
        req.body().onSuccess(b -> req.response().putHeader("content-type", "application/json").end(
            "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}"));
      }).listen(0, "127.0.0.1"));
      GatewayConfig config = ConfigLoader.withEnv(Map.of("KEY", "engine-secret", "URL", "http://127.0.0.1:" + engine.actualPort()))
          .parse("t", """
              server: { port: 0, instances: 1 }
              routing: { defaultTier: fast }
              tiers:
                - name: fast
                  backends: [{ name: f, url: "${URL}", engine: vllm, model: m, apiKey: "${KEY}" }]
              """);
      assertFalse(config.tiers().get(0).backends().get(0).toString().contains("engine-secret"), "the key is never printed");
      Gateway g = TestGateway.await(Gateway.start(vertx, config));
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(g.port())
          .setURI("/v1/chat/completions").putHeader("content-type", "application/json")
          .putHeader("authorization", "Bearer client-secret");
      int status = TestGateway.await(vertx.createHttpClient().request(o)
          .compose(r -> r.send(Buffer.buffer("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")))
          .compose(r -> r.body().map(b -> r.statusCode())));
      assertEquals(200, status);
      assertTrue(seen.contains("/v1/chat/completions Bearer engine-secret"), seen.toString());
      // The probe runs on its own schedule: wait for one, or the check below would pass on no probe at all.
      Wire.await("a health probe reached the engine: " + seen, 5_000, () -> seen.stream().anyMatch(s -> s.startsWith("/health ")));
      assertTrue(seen.stream().allMatch(s -> s.endsWith(" Bearer engine-secret")),
          "every request the engine saw, probes and discovery included, carried its key: " + seen);
      assertTrue(seen.stream().noneMatch(s -> s.contains("client-secret")), seen.toString());
    } finally {
      TestGateway.await(vertx.close());
    }
  }
}
