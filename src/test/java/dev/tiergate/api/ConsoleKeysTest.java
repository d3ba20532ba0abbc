package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.TestGateway.Reply;
import dev.tiergate.testing.Wire;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** With keys, the console follows /tiergate/status: the static page is open, everything with data in it needs an admin key. */
@ExtendWith(BlockedLoopGuard.class)
class ConsoleKeysTest {
  static final String ADMIN = "admin-key-0123456789abcdef";
  static final String ALICE = "alice-key-0123456789abcdef";
  static TestGateway gw;

  @BeforeAll
  static void start() {
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("fast-1", sim)
        .env("ADMIN_KEY", ADMIN).env("ALICE_KEY", ALICE)
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            auth:
              keys:
                - { name: admin, key: "${ADMIN_KEY}", role: admin }
                - { name: alice, key: "${ALICE_KEY}" }
            """)
        .start();
    for (String who : new String[] {ADMIN, ALICE, null}) {
      String[] h = who == null ? new String[0] : new String[] {"authorization", "Bearer " + who};
      gw.get("/tiergate/console/state", h);
      gw.get("/tiergate/events", who == null ? h : new String[] {"authorization", "Bearer " + ALICE});
    }
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void thePageIsOpenAndAsksForAKeyUpFront() {
    Reply page = gw.get("/");
    assertEquals(200, page.status());
    assertTrue(page.body().contains("data-keys=\"true\""));
    assertEquals(200, gw.get("/tiergate/console.js").status());
  }

  @Test
  void everythingWithDataNeedsAnAdminKey() {
    for (String path : List.of("/tiergate/events", "/tiergate/console/state", "/tiergate/report")) {
      Reply none = gw.get(path);
      assertEquals(401, none.status(), path);
      assertEquals("invalid_api_key", new JsonObject(none.body()).getJsonObject("error").getString("code"), path);
      assertEquals("Bearer", none.header("www-authenticate"), path);
      Reply user = gw.get(path, "authorization", "Bearer " + ALICE);
      assertEquals(403, user.status(), path);
      assertEquals("permission_denied", new JsonObject(user.body()).getJsonObject("error").getString("code"), path);
      assertEquals(401, gw.get(path + "?key=" + ADMIN).status(), "a key in the URL is refused: " + path);
    }
    assertEquals(401, gw.post("/tiergate/report", ConsoleTest.REPORT).status());
    assertEquals(403, gw.post("/tiergate/report", ConsoleTest.REPORT, "authorization", "Bearer " + ALICE).status());
    assertEquals(0, gw.gateway().console().viewers(), "a refused viewer takes no place");
  }

  @Test
  void anAdminSeesTheStateAndMayActAndPublish() {
    JsonObject state = new JsonObject(gw.get("/tiergate/console/state", "authorization", "Bearer " + ADMIN).body());
    assertTrue(state.getBoolean("keys"));
    assertTrue(state.getBoolean("actions"), "with keys, the operator endpoints are routed for admins");
    Wire.Reader r = Wire.Reader.get(gw, "/tiergate/events", "authorization", "Bearer " + ADMIN);
    assertEquals(200, r.response.statusCode());
    r.awaitText("event: snapshot", 5_000);
    r.closeConnection();
    assertEquals(200, gw.post("/tiergate/report", ConsoleTest.REPORT, "authorization", "Bearer " + ADMIN).status());
    assertEquals(200, gw.get("/tiergate/report", "authorization", "Bearer " + ADMIN).status());
    Wire.await("the viewer is gone", 5_000, () -> gw.gateway().console().viewers() == 0);
  }
}
