package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console follows a live reload: a tier added shows (with its own requests), a tier removed goes. */
class ConsoleReloadTest {
  static final String SERVER = "server: { port: 0, instances: 2 }\n";
  static final String FAST = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
      """;
  static final String MAX = """
        - name: max
          backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
      """;
  static final String ONLY_MAX = """
      routing: { defaultTier: max }
      tiers:
      """ + MAX;

  @TempDir
  Path dir;

  @Test
  void tiersAddedAndRemovedByAReloadAreShownAsTheyAre() throws Exception {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withDecodeTps(5000).withDenseBatching(false);
    Path file = dir.resolve("tiergate.yaml");
    try (TestGateway gw = TestGateway.builder().file(file).sim("fast-1", sim).sim("max-1", sim).config(SERVER + FAST).start()) {
      send(gw, 2);
      Files.writeString(file, SERVER + FAST + MAX);
      assertEquals(200, gw.post("/tiergate/reload", "").status());
      Wire.await("max is routable", 10_000, () -> gw.gateway().services().fleet().routable("max-1"));
      send(gw, 3, "x-tiergate-tier", "max");
      Wire.await("both tiers with their own requests", 10_000, () -> recent(gw).equals(List.of(List.of("fast", 2), List.of("max", 3))));

      Files.writeString(file, SERVER + ONLY_MAX);
      assertEquals(200, gw.post("/tiergate/reload", "").status());
      Wire.await("only max is shown", 10_000, () -> recent(gw).equals(List.of(List.of("max", 3))));
      JsonObject state = new JsonObject(gw.get("/tiergate/console/state").body());
      assertEquals("max", state.getJsonArray("tiers").getJsonObject(0).getString("name"));
      assertEquals(1, state.getJsonArray("tiers").size());
    }
  }

  static void send(TestGateway gw, int n, String... headers) {
    for (int i = 0; i < n; i++) {
      assertEquals(200, gw.post("/v1/chat/completions", "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
          headers).status());
    }
  }

  /** [[tier, requests], …] as the console's snapshot has them. */
  static List<List<Object>> recent(TestGateway gw) {
    JsonArray tiers = new JsonObject(gw.get("/tiergate/console/state").body()).getJsonObject("recent").getJsonArray("tiers");
    return tiers.stream().map(t -> List.<Object>of(((JsonObject) t).getString("name"), ((JsonObject) t).getInteger("requests"))).toList();
  }
}
