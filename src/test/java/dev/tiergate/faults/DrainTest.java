package dev.tiergate.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimStats;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Graceful shutdown: short streams finish, long ones are cut with an error event, new requests are refused. */
@ExtendWith(BlockedLoopGuard.class)
class DrainTest {

  static String chat(int maxTokens) {
    return "{\"model\":\"client-model\",\"stream\":true,\"max_tokens\":" + maxTokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void drainLetsShortStreamsFinishAndCutsLongOnes() {
    try (TestGateway gw = TestGateway.builder()
        .sim("main-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(2).withPrefillTps(1_000_000)
            .withDecodeTps(20).withDenseBatching(false))
        .config("""
            routing: { defaultTier: main }
            tiers:
              - name: main
                backends: [{ name: main-1, url: "${SIM_MAIN_1}", engine: vllm, model: m }]
            """)
        .start()) {
      Wire.warmUp(gw, "main");
      SimStats sim = gw.sim("main-1").stats();
      sim.reset();
      Wire.Outcomes outcomes = Wire.Outcomes.snapshot(gw);
      Wire.Reader longOne = Wire.Reader.open(gw, "/v1/chat/completions", chat(100_000));
      Wire.Reader shortOne = Wire.Reader.open(gw, "/v1/chat/completions", chat(12)); // ≈ 0.6 s at 20 tokens/s
      longOne.awaitText("\"content\":\"", 5_000);
      shortOne.awaitText("\"content\":\"", 5_000);

      // A request whose body is still on its way when the drain begins is answered, with a 503.
      HttpClientRequest late = TestGateway.await(gw.onLoop(() -> gw.client().request(new RequestOptions()
          .setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port()).setURI("/v1/chat/completions")
          .putHeader("content-type", "application/json"))));
      late.setChunked(true);
      TestGateway.await(gw.onLoop(() -> late.write("{\"model\":\"m\",")));
      // The write completes once the bytes are in the kernel; give the server's loop time to read the
      // request head, or the shutdown may still see an idle keep-alive connection and close it.
      pause(200);

      var drained = gw.gateway().drain(1_500);
      Wire.await("the gateway is draining", 2_000, () -> gw.gateway().services().shutdown().draining());
      TestGateway.Reply refused = TestGateway.await(gw.onLoop(() -> late.end(chat(3).substring(1))
          .compose(v -> late.response())
          .compose(resp -> resp.body().map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(), b.toString())))));
      assertEquals(503, refused.status(), refused.body());
      assertEquals("shutting_down", new JsonObject(refused.body()).getJsonObject("error").getString("code"));
      assertTrue(refused.header("retry-after") != null, "a client is told when to retry (elsewhere)");
      // New connections are refused: the listener stops accepting as the drain begins.
      Wire.await("a new connection to the draining gateway is refused", 2_000, () -> refused(gw.port()));

      String shortBody = shortOne.awaitEnd();
      assertTrue(Wire.endsWithDone(shortBody), "the short stream finished normally: " + shortBody);
      assertEquals(12, Wire.joined(shortBody, "content").split(" ").length);
      assertFalse(longOne.ended(), "the long stream is still going within the drain time");

      String longBody = longOne.awaitEnd();
      assertFalse(Wire.hasDone(longBody), longBody);
      List<JsonObject> errors = Wire.errors(longBody);
      assertEquals(1, errors.size(), longBody);
      assertEquals("shutting_down", errors.get(0).getString("code"));
      TestGateway.await(drained);

      Wire.await("the cut stream's upstream was closed", 2_000, () -> sim.aborted() == 1);
      assertEquals(1, sim.completed(), "the short one completed upstream");
      Wire.awaitNothingInFlight(gw);
      assertEquals(0, gw.gateway().services().shutdown().openStreams());
      // The cut stream is the gateway's doing, counted like the requests refused while draining.
      Wire.await("every outcome counted", 5_000, () -> outcomes.delta("ok") == 1 && outcomes.delta("rejected") == 2);
      assertEquals(0, outcomes.delta("cancelled"), "no client cancelled anything");
    }
  }

  static boolean refused(int port) {
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      return false;
    } catch (java.net.ConnectException e) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
