package dev.tiergate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a reload would change, and which keys it may not change, each named by its key path. */
class ConfigChangeTest {
  static final String BASE = """
      server: { port: 8080 }
      routing:
        defaultTier: fast
        rules: [{ name: long, when: { promptTokensAtLeast: 1000 }, tier: max }]
      tiers:
        - name: fast
          backends:
            - { name: fast-1, url: "http://127.0.0.1:9001", engine: vllm, model: m }
            - { name: fast-2, url: "http://127.0.0.1:9002", engine: vllm, model: m }
        - name: max
          backends: [{ name: max-1, url: "http://127.0.0.1:9003", engine: vllm, model: m }]
        - name: home
          lifecycle: { process: { command: ["engine", "--port", "9004"] } }
          backends: [{ name: home-1, url: "http://127.0.0.1:9004", engine: vllm, model: m }]
      """;

  static GatewayConfig parse(String yaml) {
    return new ConfigLoader(k -> null).parse("test", yaml);
  }

  @Test
  void theSameFileChangesNothing() {
    ConfigChange c = ConfigChange.between(parse(BASE), parse(BASE));
    assertTrue(c.none());
    assertTrue(c.fixed().isEmpty());
  }

  @Test
  void backendsAreKnownByName() {
    String next = BASE.replace("name: fast-2, url: \"http://127.0.0.1:9002\"", "name: fast-3, url: \"http://127.0.0.1:9005\"")
        .replace("9003\", engine: vllm", "9006\", engine: sglang")
        .replace("promptTokensAtLeast: 1000", "promptTokensAtLeast: 2000");
    ConfigChange c = ConfigChange.between(parse(BASE), parse(next));
    assertEquals(List.of("fast-3"), c.addedBackends());
    assertEquals(List.of("fast-2"), c.removedBackends());
    assertEquals(List.of("max-1"), c.changedBackends(), "another URL and engine: removed and added");
    assertEquals(List.of("fast", "max"), c.changedTiers());
    assertTrue(c.rulesChanged());
    assertFalse(c.aliasesChanged());
    assertTrue(c.fixed().isEmpty(), c.fixed().toString());
  }

  @Test
  void whatIsBoundAtStartCannotChangeAndSaysWhere() {
    String next = BASE.replace("port: 8080", "port: 8081, maxBodyBytes: 1000")
        .replace("\"--port\", \"9004\"", "\"--port\", \"9014\"");
    List<String> fixed = ConfigChange.between(parse(BASE), parse(next)).fixed();
    assertTrue(fixed.contains("server.port cannot change on reload; restart"), fixed.toString());
    assertTrue(fixed.contains("server.maxBodyBytes cannot change on reload; restart"), fixed.toString());
    assertTrue(fixed.stream().anyMatch(p -> p.startsWith("tiers[2].lifecycle.process.command[2] cannot change on reload")),
        fixed.toString());
  }

  @Test
  void aManagedTierCannotComeOrGo() {
    String without = BASE.substring(0, BASE.lastIndexOf('\n', BASE.indexOf("- name: home")) + 1);
    assertEquals(List.of("tiers[2] (home) cannot be removed on reload (tiergate starts and stops this tier's engine:"
        + " lifecycle or group); restart"), ConfigChange.between(parse(BASE), parse(without)).fixed());
    assertTrue(ConfigChange.between(parse(without), parse(BASE)).fixed().get(0).startsWith("tiers[2] (home) cannot be added"));
  }

  @Test
  void differencesNameOnlyPathsNeverValues() {
    GatewayConfig a = parse(BASE.replace("model: m }", "model: m, apiKey: secret-one-123 }"));
    GatewayConfig b = parse(BASE.replace("model: m }", "model: m, apiKey: secret-two-456 }"));
    List<String> d = ConfigChange.differences("tiers", a.tiers(), b.tiers());
    assertTrue(d.contains("tiers[0].backends[0].apiKey"), d.toString());
    assertFalse(d.toString().contains("secret"), d.toString());
  }
}
