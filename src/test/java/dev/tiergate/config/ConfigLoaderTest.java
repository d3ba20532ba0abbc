package dev.tiergate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  static final String TIERS = """
      tiers:
        - name: fast
          backends: [{ name: f1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
        - name: max
          backends: [{ name: m1, url: "http://127.0.0.1:2", engine: llama.cpp, model: m }]
      """;

  static GatewayConfig parse(String yaml) {
    return ConfigLoader.withEnv(Map.of("PORT", "9000")).parse("t.yaml", yaml);
  }

  static String problems(String yaml) {
    return String.join("\n", assertThrows(ConfigException.class, () -> parse(yaml)).problems());
  }

  @Test
  void shippedConfigsAreValid() throws Exception {
    try (Stream<Path> files = Stream.concat(Stream.of(Path.of("config/demo.yaml")), Files.list(Path.of("config/examples")))) {
      files.forEach(p -> ConfigLoader.withEnv(Map.of()).loadFile(p));
    }
    GatewayConfig small = ConfigLoader.withEnv(Map.of("TIERGATE_JAVA", "java", "TIERGATE_CLASSPATH", "x.jar"))
        .loadResource(ConfigLoader.SMALL_DEMO_RESOURCE);
    assertEquals(java.util.List.of("fast", "max", "prefill"), small.groups().get(0).tiers());
    GatewayConfig demo = ConfigLoader.withEnv(Map.of()).loadResource(ConfigLoader.DEMO_RESOURCE);
    assertEquals(java.util.List.of("fast", "max", "prefill"), demo.tiers().stream().map(TierConfig::name).toList());
  }

  @Test
  void defaultsAndEnvSubstitution() {
    GatewayConfig c = parse("server: { port: ${PORT} }\nrouting: { defaultTier: fast }\n" + TIERS);
    assertEquals(9000, c.server().port());
    assertEquals(Engine.LLAMACPP, c.tiers().get(1).backends().get(0).engine());
    assertEquals(300_000L, c.timeoutsFor(c.tiers().get(0)).ttftMs());
    assertEquals(4.0, c.routing().charsPerToken());
  }

  @Test
  void tierTimeoutsOverrideKeyByKey() {
    GatewayConfig c = parse("""
        routing: { defaultTier: fast }
        timeouts: { idleMs: 5000 }
        tiers:
          - name: fast
            timeouts: { ttftMs: 3000 }
            backends: [{ name: f1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
        """);
    TimeoutConfig t = c.timeoutsFor(c.tiers().get(0));
    assertEquals(3000L, t.ttftMs());
    assertEquals(5000L, t.idleMs());
    assertEquals(1_800_000L, t.totalMs());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("routing: { defaultTier: fast, colour: red }\n" + TIERS, "routing.colour: unknown key 'colour'"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("model: m }]\n  - name: max", "model: m, urll: x }]\n  - name: max"),
            "tiers[0].backends[0].urll: unknown key 'urll'"),
        Arguments.of("routing: { defaultTier: turbo }\n" + TIERS, "routing.defaultTier: unknown tier 'turbo'"),
        Arguments.of("routing:\n  defaultTier: fast\n  rules: [{ name: r, when: { promptTokensAtLeast: 10 }, tier: nope }]\n" + TIERS,
            "routing.rules[0].tier: unknown tier 'nope'"),
        Arguments.of("routing:\n  defaultTier: fast\n  rules: [{ name: r, tier: max }]\n" + TIERS, "routing.rules[0].when: required"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("name: max", "name: fast"), "tiers[1].name: duplicate tier name 'fast'"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("name: m1", "name: f1"),
            "tiers[1].backends[0].name: duplicate backend name 'f1'"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("http://127.0.0.1:1", "ftp://x"), "tiers[0].backends[0].url: must be an http:// or https:// URL"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("engine: vllm", "engine: tgi"), "unknown engine 'tgi'"),
        Arguments.of("routing: { defaultTier: fast }\ntimeouts: { ttftMs: 10, totalMs: 5 }\n" + TIERS,
            "timeouts: ttftMs (10) must not exceed totalMs (5)"),
        Arguments.of("routing: { defaultTier: fast }\nserver: { port: 70000 }\n" + TIERS, "server.port: must be 0..65535"),
        Arguments.of("routing: { defaultTier: fast }\nserver: { port: ${NOPE} }\n" + TIERS, "NOPE is not set"),
        Arguments.of("routing: { defaultTier: fast }\nrouting: { defaultTier: max }\n" + TIERS, "duplicate"),
        Arguments.of("routing: { defaultTier: fast }\ntiers:\n  - name: fast\n    fallback: [fast]\n    backends: [{ name: f1, url: \"http://h:1\", engine: vllm, model: m }]\n",
            "tiers[0].fallback[0]: a tier cannot fall back to itself"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("name: max", "name: Max Tier"),
            "tiers[1].name: 'Max Tier' must be lower-case"),
        Arguments.of("routing: { defaultTier: fast, charsPerToken: 0 }\n" + TIERS, "routing.charsPerToken: must be in (0, 100)"),
        Arguments.of("routing: { defaultTier: fast }\n" + TIERS.replace("http://127.0.0.1:1", "http://u:hunter2@127.0.0.1:1"),
            "tiers[0].backends[0].url: must not carry a user name or password"),
        Arguments.of(GROUPED.replace("tiers: [fast, max], home: fast", "tiers: [fast, max], home: prefill"),
            "groups[0].home: 'prefill' is not one of the group's tiers"),
        Arguments.of(GROUPED.replace("tiers: [fast, max], home: fast", "tiers: [fast, nope], home: fast"),
            "groups[0].tiers[1]: unknown tier 'nope'"),
        Arguments.of(GROUPED + "  - { name: other, tiers: [fast, max], home: max }\n",
            "groups[1].tiers[0]: tier 'fast' is already in group 'gpus'"),
        Arguments.of(GROUPED.replace("command: [srv, --fast]", "command: []"), "tiers[0].lifecycle.process.command: needs at least"),
        Arguments.of(GROUPED.replace("lifecycle: { process: { command: [srv, --max] } }", "x: 1"), "unknown key 'x'"),
        Arguments.of(GROUPED.replace("    lifecycle: { process: { command: [srv, --max] } }\n", ""),
            "groups[0].tiers[1]: tier 'max' has no lifecycle"),
        Arguments.of(GROUPED.replace("{ process: { command: [srv, --fast] } }",
            "{ process: { command: [a] }, commands: { start: [b], stop: [c] } }"), "tiers[0].lifecycle: set exactly one of"),
        Arguments.of(GROUPED.replace("{ process: { command: [srv, --fast] } }", "{ process: { command: [a] }, readyTimeoutMs: 0 }"),
            "tiers[0].lifecycle.readyTimeoutMs: must be positive"),
        Arguments.of(GROUPED.replace("home: fast", "home: fast, maxQueue: 0, swap: sometimes"), "unknown swap 'sometimes'"),
        Arguments.of(GROUPED.replace("home: fast", "home: fast, maxQueue: 0"), "groups[0].maxQueue: must be at least 1"),
        Arguments.of(GROUPED.replace("home: fast", "home: fast, minLiveMs: -1"), "groups[0].minLiveMs: must not be negative"),
        Arguments.of(GROUPED.replace("home: fast", "home: fast, exclusive: false"), "groups[0].exclusive: only exclusive groups"),
        Arguments.of(GROUPED.replace("{ process: { command: [srv, --fast] } }",
            "{ http: { url: \"ftp://x/switch\", method: FETCH } }"), "tiers[0].lifecycle.http.url: must be an http:// or https://"));
  }

  static final String GROUPED = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          lifecycle: { process: { command: [srv, --fast] } }
          backends: [{ name: f1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
        - name: max
          lifecycle: { process: { command: [srv, --max] } }
          backends: [{ name: m1, url: "http://127.0.0.1:2", engine: vllm, model: m }]
        - name: prefill
          backends: [{ name: p1, url: "http://127.0.0.1:3", engine: vllm, model: m }]
      groups:
        - { name: gpus, tiers: [fast, max], home: fast }
      """;

  @Test
  void aGroupConfigParsesWithItsDefaults() {
    GroupConfig g = parse(GROUPED).groups().get(0);
    assertEquals("fast", g.home());
    assertEquals(GroupConfig.Swap.ON_DEMAND, g.swap());
    assertEquals(GroupConfig.WhenNotLive.SERVE_LIVE, g.whenNotLive());
    assertEquals(600_000L, parse(GROUPED).tiers().get(0).lifecycle().readyTimeoutMs());
    assertEquals(30_000L, parse(GROUPED).tiers().get(0).lifecycle().process().stopGraceMs());
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void invalidConfigsNameTheKeyPath(String yaml, String expected) {
    String p = problems(yaml);
    assertTrue(p.contains(expected), "expected '" + expected + "' in:\n" + p);
  }

  static String backend(String extra) {
    return "routing: { defaultTier: fast }\ntiers:\n  - name: fast\n    backends: [{ name: f1, url: \"http://127.0.0.1:1\", "
        + "engine: vllm, model: m" + extra + " }]\n";
  }

  @Test
  void backendsDeclareExtraEndpointsAndForcedTranslation() {
    BackendConfig b = parse(backend(", serves: [embeddings, rerank], translate: [messages]")).tiers().get(0).backends().get(0);
    assertEquals(java.util.List.of(Api.EMBEDDINGS, Api.RERANK), b.serves());
    assertEquals(java.util.List.of(Api.MESSAGES), b.translate());
    assertEquals(java.util.List.of(), parse(backend("")).tiers().get(0).backends().get(0).serves());
  }

  @Test
  void endpointListsAreChecked() {
    assertTrue(problems(backend(", translate: [embeddings]")).contains(
        "tiers[0].backends[0].translate[0]: only responses and messages can be translated to chat, got 'embeddings'"));
    assertTrue(problems(backend(", serves: [chat]")).contains("tiers[0].backends[0].serves[0]: every engine serves chat"));
    assertTrue(problems(backend(", serves: [messages], translate: [messages]")).contains("is also in translate"));
    String unknown = problems(backend(", serves: [images]"));
    assertTrue(unknown.contains("unknown endpoint 'images'") && unknown.contains("embeddings"), unknown);
    assertTrue(problems("routing: { defaultTier: fast, rules: [{ name: r, when: { endpoint: images }, tier: fast }] }\n"
        + TIERS).contains("routing.rules[0].when.endpoint: must be one of chat, completions, responses, messages"));
    parse("routing: { defaultTier: fast, rules: [{ name: r, when: { endpoint: messages }, tier: max }] }\n" + TIERS);
  }

  @Test
  void predictedRoutingRanksByTheFirstTokenUnlessToldToRankByTheWholeAnswer() {
    assertEquals(RoutingConfig.RankBy.TTFT, parse(backend("")).routing().predicted().rankBy());
    assertEquals(RoutingConfig.RankBy.COMPLETION,
        parse("routing: { defaultTier: fast, mode: predicted, predicted: { rankBy: completion } }\n" + TIERS).routing()
            .predicted().rankBy());
    String bad = problems("routing: { defaultTier: fast, predicted: { rankBy: tpot } }\n" + TIERS);
    assertTrue(bad.contains("rankBy") && bad.contains("ttft, completion"), bad);
  }

  @Test
  void variablesInCommentsAreLeftAloneAndNeverRequired() {
    GatewayConfig c = parse("# export ${UNSET_IN_COMMENT} first\nserver: { port: ${PORT} } # or ${ALSO_UNSET}\n"
        + "routing: { defaultTier: fast }\n" + TIERS);
    assertEquals(9000, c.server().port());
    assertTrue(ConfigLoader.inComment("a: '#x' # ${V}", 10));
    assertTrue(!ConfigLoader.inComment("a: \"# ${V}\"", 6), "a # inside quotes is text");
    assertTrue(!ConfigLoader.inComment("url: http://h/a#${V}", 16), "a # glued to text is not a comment");
    assertTrue(problems("server: { port: ${NOPE} } # ${NOPE}\nrouting: { defaultTier: fast }\n" + TIERS)
        .contains("NOPE is not set"), "outside the comment it is still required");
  }
}
