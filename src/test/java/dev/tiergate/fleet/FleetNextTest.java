package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.upstream.Admission;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A reloaded fleet: unchanged backends keep their state, new and changed ones wait for a probe, the rest leave. */
class FleetNextTest {
  static final String BASE = """
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends:
            - { name: keep, url: "http://127.0.0.1:1", engine: vllm, model: m }
            - { name: moved, url: "http://127.0.0.1:2", engine: vllm, model: m }
            - { name: gone, url: "http://127.0.0.1:3", engine: vllm, model: m }
      """;

  static GatewayConfig parse(String yaml) {
    return ConfigLoader.withEnv(Map.of()).parse("test", yaml);
  }

  @Test
  void keptStateIsSharedAndNewBackendsWaitForTheirProbe() {
    Fleet before = new Fleet(parse(BASE));
    before.probed("keep", BackendState.Health.READY, null);
    Admission a = before.start("keep", null);
    assertEquals(1, before.get("keep").inflight());

    Fleet after = before.next(parse(BASE.replace("127.0.0.1:2", "127.0.0.1:4")
        .replace("name: gone, url: \"http://127.0.0.1:3\"", "name: new, url: \"http://127.0.0.1:5\"")));
    assertSame(before.get("keep"), after.get("keep"), "the request in flight counts in one place");
    assertEquals(1, after.inflight("keep"));
    assertTrue(after.routable("keep"));
    assertNotSame(before.get("moved"), after.get("moved"), "another URL is another backend");
    assertFalse(after.routable("moved"), "not routed before a probe found it ready");
    assertFalse(after.routable("new"));
    after.probed("new", BackendState.Health.READY, null);
    assertTrue(after.routable("new"));

    List<BackendState> leaving = before.leaving(after);
    assertEquals(List.of("moved", "gone"), leaving.stream().map(s -> s.config().name()).toList());
    leaving.forEach(Fleet::retire);
    assertFalse(before.routable("gone"), "a request that still routes by the old config skips a removed backend");
    assertEquals(Admission.RETIRED, before.start("gone", null),
        "and one decided before the reload (say, held in an admission queue meanwhile) does not start there");
    assertEquals(0, before.get("gone").inflight());
    before.finished("keep", null, a, dev.tiergate.upstream.AttemptResult.OK);
    assertEquals(0, after.inflight("keep"));
  }
}
