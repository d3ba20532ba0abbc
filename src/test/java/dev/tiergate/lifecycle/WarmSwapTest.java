package dev.tiergate.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SleepModel;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.Engines;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm swaps: engines put to sleep and woken instead of stopped and started. The engines here are
 * simulators with the real sleep APIs; where a test needs an engine killed and started cold, it is
 * a child process, otherwise an in-process sim behind no-op start/stop commands.
 */
@ExtendWith(BlockedLoopGuard.class)
class WarmSwapTest {
  static final String CHAT = SwapTest.CHAT;
  static final SimOptions QUICK = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
      .withDecodeTps(1000).withDenseBatching(false).withSleep(new SleepModel(100, 150, false));

  /** A warm tier on an in-process sim: the commands do nothing, sleep and wake do everything. */
  static String warmTier(String name, String engine, String extra) {
    String env = "${SIM_" + name.toUpperCase() + "_1}";
    return """
          - name: %1$s
            lifecycle:
              commands: { start: [true], stop: [true] }
              warm: { engine: %2$s, wakeTimeoutMs: 10000, sleepTimeoutMs: 10000%3$s }
            backends: [{ name: %1$s-1, url: "%4$s", engine: %2$s, model: m, contextWindow: 32768 }]
        """.formatted(name, engine, extra, env);
  }

  static String config(String group, String... tiers) {
    return """
        health: { intervalMs: 200, timeoutMs: 500 }
        routing: { defaultTier: fast }
        groups: [%s]
        tiers:
        """.formatted(group) + String.join("", tiers);
  }

  static JsonObject tier(TestGateway gw, String name) {
    for (Object t : SwapTest.group(gw).getJsonArray("tiers")) {
      if (((JsonObject) t).getString("name").equals(name)) {
        return (JsonObject) t;
      }
    }
    throw new AssertionError("no tier " + name);
  }

  static boolean simSleeps(TestGateway gw, String backend) {
    TestGateway.Reply r = TestGateway.await(gw.onLoop(() -> gw.client().request(io.vertx.core.http.HttpMethod.GET,
        gw.sim(backend).port(), "127.0.0.1", "/is_sleeping").compose(req -> req.send().compose(resp -> resp.body()
        .map(b -> new TestGateway.Reply(resp.statusCode(), resp.headers(), b.toString()))))));
    return new JsonObject(r.body()).getBoolean("is_sleeping");
  }

  /** Every engine a test's gateway started is gone once the gateway is: none outlives its tier's owner. */
  @AfterEach
  void noEngineOutlivesItsGateway() {
    Wire.await("no engine process outlives its gateway: " + ProcessHandle.current().descendants().map(ProcessHandle::pid).toList(),
        15_000, () -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive));
  }

  @BeforeAll
  static void warmUp() {
    try (TestGateway gw = TestGateway.builder().sim("fast-1", QUICK).sim("max-1", QUICK)
        .config(config("{ name: gpus, tiers: [fast, max], home: fast }", warmTier("fast", "vllm", ""), warmTier("max", "vllm", "")))
        .start()) {
      SwapTest.awaitLive(gw, "fast");
      gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
      gw.get("/metrics");
    }
  }

  @Test
  void queuedRequestsAreAnsweredAfterAWarmSwapAndTheOldEngineSleeps() {
    try (TestGateway gw = TestGateway.builder().sim("fast-1", QUICK).sim("max-1", QUICK)
        .config(config("{ name: gpus, tiers: [fast, max], home: fast, maxWaitMs: 30000 }",
            warmTier("fast", "vllm", ""), warmTier("max", "vllm", ""))).start()) {
      SwapTest.awaitLive(gw, "fast");
      assertEquals("asleep", tier(gw, "max").getString("engine"), "prepared at start: started, its canary recorded, asleep");
      assertTrue(simSleeps(gw, "max-1"));
      assertFalse(simSleeps(gw, "fast-1"));

      List<Future<TestGateway.Reply>> waiting = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        waiting.add(SwapTest.send(gw, CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true"));
      }
      for (Future<TestGateway.Reply> f : waiting) {
        TestGateway.Reply r = TestGateway.await(f);
        assertEquals(200, r.status(), r.body());
        assertEquals("max", r.header("x-tiergate-tier"));
        assertEquals("swap:fast->max", r.header("x-tiergate-reason"));
      }
      JsonObject swap = SwapTest.group(gw).getJsonArray("lastSwaps").getJsonObject(0);
      assertEquals("warm", swap.getString("mode"), swap.encode());
      JsonObject phases = swap.getJsonObject("phasesMs");
      assertTrue(phases.containsKey("sleep") && phases.containsKey("wake") && phases.containsKey("canary"), phases.encode());
      assertFalse(phases.containsKey("boot"), "nothing was started: " + phases.encode());
      assertTrue(simSleeps(gw, "fast-1"), "the engine swapped out sleeps");
      assertFalse(simSleeps(gw, "max-1"));
      assertEquals("asleep", tier(gw, "fast").getString("engine"));
      String metrics = gw.get("/metrics").body();
      assertTrue(metrics.contains("tiergate_swap_duration_seconds_count{group=\"gpus\",mode=\"warm\",phase=\"wake\",to_tier=\"max\"} 1"),
          metrics);
    }
  }

  @Test
  void aRequestNeverReachesASleepingEngine() {
    try (TestGateway gw = TestGateway.builder().sim("fast-1", QUICK).sim("max-1", QUICK)
        .config(config("{ name: gpus, tiers: [fast, max], home: fast }",
            warmTier("fast", "vllm", ""), warmTier("max", "vllm", ""))).start()) {
      SwapTest.awaitLive(gw, "fast");
      long before = gw.sim("max-1").stats().requests();
      for (int i = 0; i < 5; i++) {
        TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max");
        assertEquals(200, r.status(), r.body());
        assertEquals("fast", r.header("x-tiergate-tier"), "answered by the live tier, not the sleeping one");
      }
      assertEquals(before, gw.sim("max-1").stats().requests(), "the sleeping engine saw no request");
      assertTrue(simSleeps(gw, "max-1"));
      JsonObject maxBackend = null;
      for (Object t : new JsonObject(gw.get("/tiergate/status").body()).getJsonArray("tiers")) {
        if (((JsonObject) t).getString("name").equals("max")) {
          maxBackend = ((JsonObject) t).getJsonArray("backends").getJsonObject(0);
        }
      }
      assertEquals("not-live", maxBackend.getString("state"), "asleep is not down: " + maxBackend.encode());
      assertEquals(0, maxBackend.getInteger("consecutiveFailures"));
    }
  }

  @Test
  void anEngineIsNeverPutToSleepWithRequestsInFlight() {
    // SGLang refuses to release memory while requests run: a sleep too early would show as sleep_failed.
    SimOptions sglang = QUICK.withEngine("sglang").withDecodeTps(20);
    for (String drain : new String[] {"cut", "wait"}) {
      try (TestGateway gw = TestGateway.builder().sim("fast-1", sglang).sim("max-1", sglang)
          .config(config("{ name: gpus, tiers: [fast, max], home: fast, drainMs: 300, maxWaitMs: 30000 }",
              warmTier("fast", "sglang", ", drain: " + drain), warmTier("max", "sglang", ""))).start()) {
        SwapTest.awaitLive(gw, "fast");
        // ≈ 2 s of output at 20 tokens/s: longer than the 300 ms drain time.
        Wire.Reader stream = Wire.Reader.open(gw, "/v1/chat/completions",
            "{\"model\":\"m\",\"stream\":true,\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        stream.awaitText("\"content\"", 5_000);
        TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
        assertEquals("max", r.header("x-tiergate-tier"), r.body());
        String body = stream.awaitEnd();
        if (drain.equals("cut")) {
          assertFalse(Wire.errors(body).isEmpty(), "cut after drainMs: " + body);
        } else {
          assertTrue(Wire.endsWithDone(body), "waited for: " + body);
        }
        assertNull(tier(gw, "fast").getString("lastWarmFallback"), drain + ": slept only once drained");
        assertEquals("asleep", tier(gw, "fast").getString("engine"));
      }
    }
  }

  /** A warm tier whose engine is a child process the gateway can kill and start cold. */
  static String processTier(String name, int port, String simExtra, String warmExtra) {
    List<String> argv = Engines.sim(port, "m", 0.2, "--sleep-ms", "100", "--wake-ms", simExtra.contains("slow-wake") ? "5000" : "150");
    if (simExtra.contains("corrupt")) {
      argv = new ArrayList<>(argv);
      argv.add("--corrupt-after-wake");
    }
    return """
          - name: %1$s
            lifecycle:
              process: { command: %2$s, stopGraceMs: 3000 }
              warm: { engine: vllm, wakeTimeoutMs: 1500, sleepTimeoutMs: 10000%3$s }
              readyTimeoutMs: 30000
            backends: [{ name: %1$s-1, url: "http://127.0.0.1:%4$d", engine: vllm, model: m, contextWindow: 32768 }]
        """.formatted(name, Engines.yaml(argv), warmExtra, port);
  }

  @Test
  void aWakeThatTimesOutOrFailsItsCanaryFallsBackToAColdStart() {
    for (String fault : new String[] {"slow-wake", "corrupt"}) {
      int port = Engines.port();
      try (TestGateway gw = TestGateway.builder().sim("fast-1", QUICK)
          .config(config("{ name: gpus, tiers: [fast, max], home: fast, maxWaitMs: 60000 }",
              warmTier("fast", "vllm", ""), processTier("max", port, fault, ""))).start()) {
        SwapTest.awaitLive(gw, "fast");
        long pid = tier(gw, "max").getLong("pid");
        TestGateway.Reply r = gw.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
        assertEquals(200, r.status(), r.body());
        assertEquals("max", r.header("x-tiergate-tier"));
        JsonObject max = tier(gw, "max");
        String reason = fault.equals("slow-wake") ? "wake_timeout" : "canary_mismatch";
        assertTrue(String.valueOf(max.getString("lastWarmFallback")).startsWith(reason), max.encode());
        assertTrue(max.getLong("pid") != pid, "the engine was killed and started cold: " + max.encode());
        JsonObject swap = SwapTest.group(gw).getJsonArray("lastSwaps").getJsonObject(0);
        assertEquals("cold", swap.getString("mode"));
        assertTrue(swap.getJsonObject("phasesMs").containsKey("boot"), swap.encode());
        assertTrue(gw.get("/metrics").body().contains("tiergate_warm_fallbacks_total{reason=\"" + reason + "\",tier=\"max\"} 1.0"));
      }
    }
  }

  @Test
  void aRestartedGatewayAdoptsEnginesThatAreAsleepOrAwake(@TempDir Path dir) throws Exception {
    Path starts = dir.resolve("starts");
    String counting = "commands: { start: [sh, -c, 'echo started >> " + starts + "'], stop: [true] }";
    String yaml = config("{ name: gpus, tiers: [fast, max], home: fast }",
        warmTier("fast", "vllm", "").replace("commands: { start: [true], stop: [true] }", counting),
        warmTier("max", "vllm", "").replace("commands: { start: [true], stop: [true] }", counting));
    try (TestGateway first = TestGateway.builder().sim("fast-1", QUICK).sim("max-1", QUICK).config(yaml).start()) {
      SwapTest.awaitLive(first, "fast");
      assertTrue(simSleeps(first, "max-1"));
      int startsBefore = Files.exists(starts) ? Files.readAllLines(starts).size() : 0;
      // A second gateway on the same engines (as after a restart): fast awake, max asleep.
      String again = yaml.replace("${SIM_FAST_1}", "http://127.0.0.1:" + first.sim("fast-1").port())
          .replace("${SIM_MAX_1}", "http://127.0.0.1:" + first.sim("max-1").port());
      try (TestGateway second = TestGateway.builder().config(again).start()) {
        SwapTest.awaitLive(second, "fast");
        assertEquals("asleep", tier(second, "max").getString("engine"));
        assertEquals("awake", tier(second, "fast").getString("engine"));
        int startsAfter = Files.exists(starts) ? Files.readAllLines(starts).size() : 0;
        assertEquals(startsBefore, startsAfter, "no engine was started twice");
        assertEquals("fast", second.post("/v1/chat/completions", CHAT).header("x-tiergate-tier"));
        JsonArray swaps = SwapTest.group(second).getJsonArray("lastSwaps");
        TestGateway.Reply r = second.post("/v1/chat/completions", CHAT, "x-tiergate-tier", "max", "x-tiergate-strict", "true");
        assertEquals("max", r.header("x-tiergate-tier"), r.body() + " after " + swaps.encode());
      }
    }
  }
}
