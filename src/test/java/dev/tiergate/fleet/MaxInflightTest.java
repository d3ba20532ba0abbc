package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A backend at its maxInflight takes no more: the next request spills to the fallback tier, or gets a 503. */
@ExtendWith(BlockedLoopGuard.class)
class MaxInflightTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withTtftBaseMs(1).withDecodeTps(2000).withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("small-1", sim.withModel("m"))
        .sim("spare-1", sim.withModel("m"))
        .config("""
            routing: { defaultTier: small }
            tiers:
              - name: small
                fallback: [spare]
                backends: [{ name: small-1, url: "${SIM_SMALL_1}", engine: vllm, model: m, maxInflight: 1 }]
              - name: spare
                fallback: []
                backends: [{ name: spare-1, url: "${SIM_SPARE_1}", engine: vllm, model: m }]
            """)
        .start();
    Wire.warmUp(gw, "spare");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void aFullBackendIsSkipped() {
    Promise<Void> first = Promise.promise();
    HttpClientResponse hold = TestGateway.await(gw.open("/v1/chat/completions",
        "{\"model\":\"m\",\"stream\":true,\"max_tokens\":100000,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "x-sim-decode-tps", "20"));
    hold.handler(b -> first.tryComplete());
    TestGateway.await(first.future());
    assertEquals(1, gw.gateway().services().fleet().get("small-1").inflight());

    TestGateway.Reply spill = gw.post("/v1/chat/completions",
        "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals(200, spill.status(), spill.body());
    assertEquals("spare", spill.header("x-tiergate-tier"));
    assertEquals("fallback:small-busy", spill.header("x-tiergate-reason"));

    TestGateway.Reply strict = gw.post("/v1/chat/completions",
        "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "x-tiergate-tier", "small", "x-tiergate-strict", "true");
    assertEquals(503, strict.status(), strict.body());
    assertNotNull(strict.header("retry-after"));
    assertEquals("no_backend_available", new JsonObject(strict.body()).getJsonObject("error").getString("code"));

    TestGateway.await(gw.onLoop(() -> hold.request().connection().close()));
    Wire.awaitNothingInFlight(gw);
    TestGateway.Reply again = gw.post("/v1/chat/completions",
        "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals("small", again.header("x-tiergate-tier"), "a free slot takes requests again");
  }
}
