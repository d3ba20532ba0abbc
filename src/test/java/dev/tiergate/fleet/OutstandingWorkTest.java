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

  record Attempt(long promptTokens, boolean interactive, long[] admittedWith, long startedNanos) implements LiveAttempt {
    Attempt(long promptTokens, boolean interactive) {
      this(promptTokens, interactive, new long[2], System.nanoTime());
    }

    @Override
    public long lastActivityNanos() {
      return startedNanos;
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
    assertEquals(new BackendLoad(50_300, 2, 0, 0, -1, -1, 1), fleet.load("b"), "the chat is an interactive prompt waiting");
    assertEquals(1, fleet.load("b").interactive(), "a stream about to decode counts as one to protect");

    fleet.proven("b", chat, a1);
    fleet.proven("b", chat, a1); // a second output changes nothing
    assertEquals(new BackendLoad(50_000, 1, 1, 1, -1, -1), fleet.load("b"));

    Admission a3 = fleet.start("b", longOne);
    assertEquals(50_000, longOne.admittedWith()[0], "it learns the prefill ahead of it");
    assertEquals(1, longOne.admittedWith()[1], "and the streams decoding when it started");

    fleet.proven("b", batch, a2);
    assertEquals(new BackendLoad(20_000, 1, 2, 1, -1, -1, 1), fleet.load("b"), "a batch stream is not interactive");

    fleet.finished("b", longOne, a3, AttemptResult.TIMEOUT); // ended before any output
    fleet.finished("b", chat, a1, AttemptResult.OK);
    assertEquals(new BackendLoad(0, 0, 1, 0, -1, -1), fleet.load("b"));
    fleet.proven("b", chat, a1); // a late signal for an attempt already over is ignored
    fleet.finished("b", batch, a2, AttemptResult.CANCELLED);
    assertEquals(BackendLoad.IDLE, fleet.load("b"));
  }

  @Test
  void aBackendPrefillingALongPromptIsNotStalledUntilThatPrefillShouldBeOver() {
    // The default profile: 2000 tok/s ÷ (1 + n / 100k); a 60k prompt is in the band priced at ≈ 1400 tok/s.
    Fleet fleet = new Fleet(CONFIG, System::nanoTime);
    BackendState b = fleet.get("b");
    Attempt longOne = new Attempt(60_000, true);
    fleet.start("b", longOne);
    double rate = b.rates().prefillTps(60_000);
    long expected = (long) (60_000 / rate * 1.5e9);
    assertEquals(expected, b.expectedPrefillNanos());
    long stall = 10_000_000_000L;
    long t0 = longOne.startedNanos();
    assertEquals(false, b.stalled(t0 + stall + 1, stall), "10 s of silence is what a 60k prefill looks like");
    assertEquals(true, b.prefillingAsExpected(t0 + stall + 1));
    assertEquals(true, b.stalled(t0 + expected + 1, stall), "silence past 1.5 x the expected prefill is a stall");
    assertEquals(false, b.prefillingAsExpected(t0 + expected + 1));

    Fleet quiet = new Fleet(CONFIG, System::nanoTime);
    Attempt shortOne = new Attempt(100, true);
    quiet.start("b", shortOne);
    assertEquals(true, quiet.get("b").stalled(shortOne.startedNanos() + stall + 1, stall), "a short prompt gets the usual stall time");
  }
}
