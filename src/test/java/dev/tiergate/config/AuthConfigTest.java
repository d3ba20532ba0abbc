package dev.tiergate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth section: keys (inline and in a file), where limits live, and the choice a public bind forces. */
class AuthConfigTest {
  static final String TIERS = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: f1, url: "http://127.0.0.1:8010", engine: vllm }]
        - name: max
          backends: [{ name: m1, url: "http://127.0.0.1:8013", engine: vllm }]
      """;
  static final String KEY = "a-key-that-is-long-enough-0123";

  @TempDir
  Path dir;

  static GatewayConfig parse(String yaml) {
    return ConfigLoader.withEnv(Map.of("ALICE_KEY", KEY, "SHORT", "short")).parse("t.yaml", yaml);
  }

  static String problems(String yaml) {
    return String.join("\n", assertThrows(ConfigException.class, () -> parse(yaml)).problems());
  }

  @Test
  void aPublicBindWithoutKeysStopsAndSaysHowToChoose() {
    String p = problems("server: { host: 0.0.0.0 }\n" + TIERS);
    assertTrue(p.startsWith("server.host: '0.0.0.0' can be reached from other machines"), p);
    assertTrue(p.contains("auth.keys or auth.keysFile") && p.contains("auth.anonymous: true") && p.contains("127.0.0.1"), p);
    assertTrue(parse("server: { host: 0.0.0.0 }\nauth: { anonymous: true }\n" + TIERS).auth().anonymous());
    for (String host : List.of("127.0.0.1", "127.0.0.2", "localhost", "'::1'", "'[::1]'")) {
      assertFalse(parse("server: { host: " + host + " }\n" + TIERS).auth().enabled(), host);
    }
    assertTrue(problems("server: { host: gateway.example }\n" + TIERS).contains("server.host"), "a name that is not localhost is public");
    GatewayConfig keyed = parse("server: { host: 0.0.0.0 }\nauth: { keys: [{ name: alice, key: \"${ALICE_KEY}\" }] }\n" + TIERS);
    assertTrue(keyed.auth().enabled());
    assertTrue(problems("auth: { anonymous: true, keys: [{ name: alice, key: \"${ALICE_KEY}\" }] }\n" + TIERS)
        .contains("auth.anonymous: true serves requests without a key, but keys are configured"));
  }

  @Test
  void keysAreHeldAsTheirHashOnly() {
    KeyConfig k = parse("auth: { keys: [{ name: alice, key: \"${ALICE_KEY}\", tiers: [fast], rpm: 60, tpm: 1000, maxConcurrent: 2 }] }\n"
        + TIERS).auth().keys().get(0);
    assertEquals(KeyConfig.hex(KEY), k.sha256());
    assertEquals(KeyConfig.Role.USER, k.role());
    assertFalse(k.toString().contains(KEY), k.toString());
    KeyConfig h = parse("auth: { keys: [{ name: ops, role: admin, sha256: \"" + KeyConfig.hex(KEY).toUpperCase() + "\" }] }\n" + TIERS)
        .auth().keys().get(0);
    assertEquals(KeyConfig.hex(KEY), h.sha256(), "hex in either case");
    assertEquals(KeyConfig.Role.ADMIN, h.role());
  }

  @Test
  void everyProblemWithAKeyNamesItsPathAndNeverTheKey() {
    assertEquals("auth.keys[0]: give either key or sha256, not both",
        problems("auth: { keys: [{ name: a, key: \"${ALICE_KEY}\", sha256: \"" + KeyConfig.hex(KEY) + "\" }] }\n" + TIERS));
    String shortKey = problems("auth: { keys: [{ name: a, key: \"${SHORT}\" }] }\n" + TIERS);
    assertTrue(shortKey.startsWith("auth.keys[0]: the key is 5 characters long; keys need at least 16"), shortKey);
    assertFalse(shortKey.contains("short\""), shortKey);
    String none = problems("auth: { keys: [{ name: a }] }\n" + TIERS);
    assertTrue(none.startsWith("auth.keys[0]: needs key"), none);
    String many = problems("""
        auth:
          keys:
            - { name: a, key: "${ALICE_KEY}", tiers: [fast, huge], rpm: 0 }
            - { name: a, sha256: "%s", tpm: -1, maxConcurrent: 0 }
            - { name: Bad Name, sha256: "abc", tiers: [] }
          limits: { store: redis, timeoutMs: 0 }
        """.formatted(KeyConfig.hex(KEY)) + TIERS);
    for (String expected : List.of("auth.keys[0].tiers[1]: unknown tier 'huge' (tiers: [fast, max])",
        "auth.keys[0].rpm: must be positive, got 0", "auth.keys[1].name: duplicate key name 'a'",
        "auth.keys[1]: the same key as auth.keys[0]", "auth.keys[1].tpm: must be positive", "auth.keys[1].maxConcurrent: must be positive",
        "auth.keys[2].name: 'Bad Name' must be lower-case", "auth.keys[2].sha256: must be 64 hex digits",
        "auth.keys[2].tiers: empty", "auth.limits.redis: required with store: redis", "auth.limits.timeoutMs: must be positive")) {
      assertTrue(many.contains(expected), "missing '" + expected + "' in:\n" + many);
    }
    assertFalse(many.contains(KEY) || many.contains(KeyConfig.hex(KEY)), many);
    assertTrue(problems("auth: { keys: [{ name: a, key: \"${ALICE_KEY}\", role: root }] }\n" + TIERS)
        .contains("unknown role 'root' (allowed: user, admin)"));
    String typo = problems("auth: { keys: [{ name: a, key: \"${ALICE_KEY}\", rmp: 5 }] }\n" + TIERS);
    assertTrue(typo.contains("auth.keys[0].rmp: unknown key 'rmp'"), typo);
    String url = problems("auth: { limits: { store: redis, redis: \"http://x\" } }\n" + TIERS);
    assertTrue(url.contains("auth.limits.redis: must be a redis://"), url);
  }

  @Test
  void aKeysFileIsCheckedAgainstTheConfigWithPaths() throws Exception {
    Path file = dir.resolve("keys.yaml");
    GatewayConfig c = parse("auth: { keysFile: \"" + file + "\", keys: [{ name: ops, role: admin, key: \"${ALICE_KEY}\" }] }\n" + TIERS);
    ConfigLoader loader = ConfigLoader.withEnv(Map.of("BOB_KEY", "bob-key-0123456789abcdef"));
    ConfigException missing = assertThrows(ConfigException.class, () -> loader.loadKeysFile(c));
    assertTrue(missing.problems().get(0).startsWith("auth.keysFile: cannot read the keys file"), missing.getMessage());
    Files.writeString(file, """
        keys:
          - { name: bob, key: "${BOB_KEY}", tiers: [max], rpm: 10 }
          - { name: ops, sha256: "%s" }
        """.formatted(KeyConfig.hex(KEY)));
    ConfigException bad = assertThrows(ConfigException.class, () -> loader.loadKeysFile(c));
    assertTrue(bad.getMessage().startsWith(file.toString()), bad.getMessage());
    assertEquals(List.of("keys[1].name: duplicate key name 'ops'", "keys[1]: the same key as auth.keys[0]; every key must be different"),
        bad.problems());
    Files.writeString(file, "keys:\n  - { name: bob, key: \"secret-that-must-not-show-0123\" tiers: [max] }\n");
    ConfigException syntax = assertThrows(ConfigException.class, () -> loader.loadKeysFile(c));
    assertTrue(syntax.problems().get(0).contains("line 2, column 56"), syntax.getMessage());
    assertFalse(syntax.getMessage().contains("secret-that-must-not-show"), syntax.getMessage());
    Files.writeString(file, "keys:\n  - { name: bob, key: \"${BOB_KEY}\", tiers: [max], rpm: 10 }\n");
    List<KeyConfig> keys = loader.loadKeysFile(c);
    assertEquals("bob", keys.get(0).name());
    assertEquals(List.of("max"), keys.get(0).tiers());
  }
}
