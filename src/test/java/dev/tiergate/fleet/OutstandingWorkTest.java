package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.routing.BackendLoad;
import dev.tiergate.upstream.Admission;
import dev.tiergate.upstream.AttemptResult;
import dev.tiergate.upstream.LiveAttempt;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own outstanding work per backend, as the predictor and admission read it: prompts
 * waiting for a first output, streams decoding, the interactive ones among them. Every attempt
 * moves through the counts exactly once, whichever way it ends.
 */
class OutstandingWorkTest {
  static final GatewayConfig CONFIG = ConfigLoader.withEnv(Map.of()).parse("test", """
      health: { intervalMs: 600000 }
      routing: { defaultTier: fast }
      tiers:
        - name: fast
          backends: [{ name: b, url: "http://127.0.0.1:1", engine: vllm, model: m }]
      """);

  record Attempt(long promptTokens, boolean interactive, long[] admittedWith) implements LiveAttempt {
    Attempt(long promptTokens, boolean interactive) {
      this(promptTokens, interactive, new long[2]);
    }

    @Override
    public long startedNanos() {
      return 0;
    }

    @Override
    public long lastActivityNanos() {
      return 0;
    }

    @Override
    public boolean hasOutput() {
      return false;
    }

    @Override
    public void stalled(String why) {}

    @Override
    public void admitted(long prefillAhead, int decoding) {
      admittedWith[0] = prefillAhead;
      admittedWith[1] = decoding;
    }
  }

  @Test
  void attemptsMoveFromWaitingToDecodingAndOutOnce() {
    Fleet fleet = new Fleet(CONFIG, System::nanoTime);
    Attempt chat = new Attempt(300, true);
    Attempt batch = new Attempt(50_000, false);
    Attempt longOne = new Attempt(20_000, true);
    Admission a1 = fleet.start("b", chat);
    Admission a2 = fleet.start("b", batch);
    assertEquals(new BackendLoad(50_300, 2, 0, 0, -1, -1), fleet.load("b"));

    fleet.proven("b", chat, a1);
    fleet.proven("b", chat, a1); // a second output changes nothing
    assertEquals(new BackendLoad(50_000, 1, 1, 1, -1, -1), fleet.load("b"));

    Admission a3 = fleet.start("b", longOne);
    assertEquals(50_000, longOne.admittedWith()[0], "it learns the prefill ahead of it");
    assertEquals(1, longOne.admittedWith()[1], "and the streams decoding when it started");

    fleet.proven("b", batch, a2);
    assertEquals(new BackendLoad(20_000, 1, 2, 1, -1, -1), fleet.load("b"), "a batch stream is not interactive");

    fleet.finished("b", longOne, a3, AttemptResult.TIMEOUT); // ended before any output
    fleet.finished("b", chat, a1, AttemptResult.OK);
    assertEquals(new BackendLoad(0, 0, 1, 0, -1, -1), fleet.load("b"));
    fleet.proven("b", chat, a1); // a late signal for an attempt already over is ignored
    fleet.finished("b", batch, a2, AttemptResult.CANCELLED);
    assertEquals(BackendLoad.IDLE, fleet.load("b"));
  }
}
