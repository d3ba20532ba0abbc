package dev.tiergate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class SimCliTest {

  @Test
  void parsesEveryFlag() {
    SimOptions o = SimCli.parse(new String[] {"--engine", "sglang", "--host", "0.0.0.0", "--port", "8013",
        "--model", "m", "--context=4096", "--prefill-tps", "1500", "--prefill-half-rate-tokens", "0",
        "--ttft-base-ms", "50", "--decode-tps", "90.5", "--flat-batching", "--reasoning-tokens", "7",
        "--loading-seconds", "2.5", "--fault", "stall-mid", "--stamp-events", "--chars-per-token", "3.5",
        "--default-max-tokens", "64", "--step-tokens", "512", "--max-running=3", "--role-delay-ms", "250",
        "--sleep-ms", "300", "--wake-ms", "700", "--corrupt-after-wake", "--embeddings", "--loops", "3"});
    assertEquals(new SimOptions("sglang", "0.0.0.0", 8013, "m", 4096, 1500, 0, 50, 90.5, false, 7, 2.5,
        "stall-mid", true, 3.5, 64, 512, 3, 250, new SleepModel(300, 700, true), true, 3), o);
  }

  @Test
  void defaultsWhenOnlyEngine() {
    assertEquals(SimOptions.defaults("vllm"), SimCli.parse(new String[] {"--engine", "vllm"}));
  }

  @Test
  void engineLimitsDefaultPerEngine() {
    SimOptions vllm = SimCli.parse(new String[] {"--engine", "vllm"});
    assertEquals(2048, vllm.stepTokens());
    assertEquals(256, vllm.maxRunning());
    SimOptions llama = SimCli.parse(new String[] {"--engine", "llamacpp"});
    assertEquals(4, llama.maxRunning(), "llama-server's automatic -np");
    assertEquals(1, SimCli.parse(new String[] {"--engine", "ikllama"}).maxRunning());
    assertEquals(2048, SimCli.parse(new String[] {"--engine", "sglang"}).maxRunning());
    assertEquals(0, SimCli.parse(new String[] {"--engine", "vllm", "--step-tokens", "0"}).stepTokens());
    for (String flag : new String[] {"--step-tokens", "--max-running", "--role-delay-ms"}) {
      assertTrue(SimCli.usage().contains(flag), flag + " in --help");
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SimCli.parse(new String[] {"--engine", "vllm", "--max-running", "0"}));
    assertTrue(e.getMessage().contains("--max-running"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SimCli.parse(new String[] {"--engine", "vllm", "--role-delay-ms", "-5"}));
    assertTrue(e.getMessage().contains("--role-delay-ms"), e.getMessage());
  }

  @Test
  void loopsDefaultToOnePerCore() {
    SimOptions o = SimCli.parse(new String[] {"--engine", "vllm"});
    assertEquals(0, o.loops());
    assertEquals(Runtime.getRuntime().availableProcessors(), o.httpLoops());
    assertEquals(5, SimCli.parse(new String[] {"--engine", "vllm", "--loops=5"}).httpLoops());
    assertTrue(SimCli.usage().contains("--loops"), "--loops in --help");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SimCli.parse(new String[] {"--engine", "vllm", "--loops", "-1"}));
    assertTrue(e.getMessage().contains("--loops"), e.getMessage());
  }

  @Test
  void badInputNamesTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SimCli.parse(new String[] {"--engine", "vllm", "--decode-tps", "fast"}));
    assertTrue(e.getMessage().contains("--decode-tps"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SimCli.parse(new String[] {"--port", "1"}));
    assertTrue(e.getMessage().contains("--engine"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SimCli.parse(new String[] {"--engine", "tgi"}));
    assertTrue(e.getMessage().contains("--engine"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SimCli.parse(new String[] {"--engine", "vllm", "--fault", "explode"}));
    assertTrue(e.getMessage().contains("--fault"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SimCli.parse(new String[] {"--engine", "vllm", "--context"}));
    assertTrue(e.getMessage().contains("--context"), e.getMessage());
  }

  @Test
  void unknownFlagFailsTheFuture(Vertx vertx, VertxTestContext ctx) {
    SimCli.run(vertx, new String[] {"--engine", "vllm", "--bogus", "1"}).onComplete(ctx.failing(err ->
        ctx.verify(() -> {
          assertTrue(err instanceof IllegalArgumentException);
          assertTrue(err.getMessage().contains("--bogus"), err.getMessage());
          ctx.completeNow();
        })));
  }

  @Test
  void helpIsNotAServer(Vertx vertx, VertxTestContext ctx) {
    assertTrue(SimCli.wantsHelp(new String[] {"--engine", "vllm", "--help"}));
    assertFalse(SimCli.wantsHelp(new String[] {"--engine", "vllm"}));
    assertTrue(SimCli.usage().contains("--flat-batching"));
    SimCli.run(vertx, new String[] {"--help"}).onComplete(ctx.succeeding(s -> ctx.verify(() -> {
      assertNull(s);
      ctx.completeNow();
    })));
  }

  @Test
  void runStartsAServer(Vertx vertx, VertxTestContext ctx) {
    SimCli.run(vertx, new String[] {"--engine", "llamacpp", "--port", "0", "--model", "cli-model"})
        .compose(sim -> vertx.createHttpClient().request(io.vertx.core.http.HttpMethod.GET, sim.port(), "127.0.0.1",
                "/props")
            .compose(req -> req.send().compose(resp -> resp.body()))
            .map(body -> {
              assertTrue(body.toString().contains("\"model_alias\":\"cli-model\""), body.toString());
              assertTrue(sim.port() > 0);
              return sim;
            })
            .eventually(sim::close))
        .onComplete(ctx.succeedingThenComplete());
  }
}
