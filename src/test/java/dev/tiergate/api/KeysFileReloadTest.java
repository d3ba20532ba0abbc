package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.TestGateway.Reply;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth.keysFile} and {@code POST /tiergate/reload-keys}: a good file replaces the keys, a bad one changes nothing and says why. */
class KeysFileReloadTest {
  static final String ADMIN = "admin-key-0123456789abcdef";
  static final String CAROL = "carol-key-0123456789abcdef";
  static final String DAVE = "dave-key-0123456789abcdef0";
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @TempDir
  Path dir;
  TestGateway gw;
  Path file;

  @BeforeEach
  void start() throws Exception {
    file = dir.resolve("keys.yaml");
    Files.writeString(file, "keys:\n  - { name: carol, key: \"" + CAROL + "\", rpm: 100 }\n");
    gw = TestGateway.builder()
        .sim("fast-1", SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false))
        .env("ADMIN", ADMIN).env("KEYS_FILE", file.toString())
        .config("""
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            auth:
              keysFile: "${KEYS_FILE}"
              keys: [{ name: ops, role: admin, key: "${ADMIN}" }]
            """)
        .start();
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  Reply chat(String key) {
    return gw.post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key);
  }

  Reply reload(String key) {
    return gw.post("/tiergate/reload-keys", "", "authorization", "Bearer " + key);
  }

  @Test
  void aBadFileKeepsTheOldKeysAndAGoodOneReplacesThem() throws Exception {
    assertEquals(200, chat(CAROL).status());
    assertEquals(403, reload(CAROL).status(), "a user key may not reload");
    Files.writeString(file, """
        keys:
          - { name: carol, key: "%s", tiers: [fast, gone] }
          - { name: carol, key: "%s" }
        """.formatted(CAROL, DAVE));
    Reply bad = reload(ADMIN);
    assertEquals(422, bad.status(), bad.body());
    JsonObject r = new JsonObject(bad.body());
    assertEquals(false, r.getBoolean("reloaded"));
    assertEquals(2, r.getInteger("keys"));
    String problems = r.getJsonArray("problems").encode();
    assertTrue(problems.contains("keys[0].tiers[1]: unknown tier 'gone'"), problems);
    assertTrue(problems.contains("keys[1].name: duplicate key name 'carol'"), problems);
    assertTrue(!problems.contains(CAROL) && !problems.contains(DAVE), "no key in the answer");
    assertEquals(200, chat(CAROL).status(), "the old keys stay in force");
    Files.writeString(file, "keys:\n  - { name: dave, key: \"short\" }\n");
    Reply shortKey = reload(ADMIN);
    assertEquals(422, shortKey.status());
    assertTrue(shortKey.body().contains("keys[0]: the key is 5 characters long"), shortKey.body());
    assertEquals(401, chat("short").status());

    Files.writeString(file, "keys:\n  - { name: dave, key: \"" + DAVE + "\", rpm: 5 }\n");
    Reply good = reload(ADMIN);
    assertEquals(200, good.status(), good.body());
    assertEquals(2, new JsonObject(good.body()).getInteger("keys"));
    assertEquals(401, chat(CAROL).status(), "carol's key was removed from the file");
    Reply dave = chat(DAVE);
    assertEquals(200, dave.status());
    assertEquals("5", dave.header("x-ratelimit-limit-requests"));
    assertEquals(200, chat(ADMIN).status(), "the config's own keys are not the file's to remove");
  }
}
