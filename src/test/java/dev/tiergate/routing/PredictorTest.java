package dev.tiergate.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The TTFT prediction is plain arithmetic over load and rates: check it by hand. */
class PredictorTest {
  /** 1000 tok/s below 4096 tokens, 500 above; decode 40 tok/s alone, 20 each in company; 100 ms fixed. */
  static final BackendRates RATES = new BackendRates() {
    @Override
    public double prefillTps(long promptTokens) {
      return promptTokens < 4096 ? 1000 : 500;
    }

    @Override
    public double decodeTps(int streams) {
      return streams <= 1 ? 40 : 20;
    }

    @Override
    public double baseLatencyMs() {
      return 100;
    }
  };

  @Test
  void anIdleBackendCostsItsBaseLatencyPlusThePromptAtItsRate() {
    assertEquals(100 + 2000 * 1000.0 / 1000, Predictor.ttftMs(RATES, BackendLoad.IDLE, 2000), 1e-9);
    assertEquals(100 + 10_000 * 1000.0 / 500, Predictor.ttftMs(RATES, BackendLoad.IDLE, 10_000), 1e-9);
  }

  @Test
  void promptsWaitingAheadAddTheirPrefillAtTheRateForTheirTypicalSize() {
    // Two prompts of 6000 tokens wait: 12000 tokens at the rate for 6000 (500 tok/s) = 24 s.
    BackendLoad load = new BackendLoad(12_000, 2, 0, 0, -1, -1);
    assertEquals(100 + 24_000 + 1000, Predictor.ttftMs(RATES, load, 1000), 1e-9);
  }

  @Test
  void whenTheEngineSaysRequestsWaitForASlotThisOneWaitsBehindThem() {
    // 4 running at 20 tok/s each, 128 tokens left each: a slot frees every 128 / 20 / 4 = 1.6 s;
    // 2 wait ahead, so this request gets the third: 4.8 s before its own prefill starts.
    BackendLoad full = new BackendLoad(0, 0, 0, 0, 4, 2);
    assertEquals(100 + 4_800 + 1000, Predictor.ttftMs(RATES, full, 1000), 1e-9);
    BackendLoad fullAndPrefilling = new BackendLoad(12_000, 2, 0, 0, 4, 2);
    assertEquals(100 + 24_000 + 1000, Predictor.ttftMs(RATES, fullAndPrefilling, 1000), 1e-9,
        "slots free while the 24 s of prefill ahead runs: the longer of the two waits counts");
    BackendLoad busyButFree = new BackendLoad(0, 0, 0, 0, 4, 0);
    assertEquals(100 + 1000, Predictor.ttftMs(RATES, busyButFree, 1000), 1e-9, "no queue, no slot wait");
  }

  @Test
  void streamsDecodingThereAddTheStepsTheFirstTokenWaitsThrough() {
    // 3 streams decode at 20 tok/s each: a step lasts 50 ms; the request waits out half of the step under way
    // and the whole step that carries its prompt.
    BackendLoad decoding = new BackendLoad(0, 0, 3, 3, -1, -1);
    assertEquals(100 + 1.5 * 50 + 1000, Predictor.ttftMs(RATES, decoding, 1000), 1e-9);
    BackendLoad alone = new BackendLoad(0, 0, 1, 1, -1, -1);
    assertEquals(100 + 1.5 * 25 + 1000, Predictor.ttftMs(RATES, alone, 1000), 1e-9, "one stream alone: 40 tok/s, 25 ms steps");
  }

  @Test
  void completionIsTheFirstTokenThenTheRestAtTheRateBesideTheStreamsDecoding() {
    // Idle: 100 + 1000 ms to the first token, then 99 more tokens at 40 tok/s alone.
    assertEquals(1100 + 99 * 25.0, Predictor.completionMs(RATES, BackendLoad.IDLE, 1000, 100), 1e-9);
    // Beside one stream: the first token waits 1.5 steps of 25 ms, the rest come at 20 tok/s.
    BackendLoad one = new BackendLoad(0, 0, 1, 1, -1, -1);
    assertEquals(1100 + 37.5 + 99 * 50.0, Predictor.completionMs(RATES, one, 1000, 100), 1e-9);
    assertTrue(Double.isNaN(Predictor.completionMs(null, BackendLoad.IDLE, 10, 10)));
  }

  @Test
  void decodeRateIsTheRateForTheStreamsDecodingPlusThisOne() {
    assertEquals(40, Predictor.decodeTps(RATES, BackendLoad.IDLE), 1e-9);
    assertEquals(20, Predictor.decodeTps(RATES, new BackendLoad(0, 0, 1, 1, -1, -1)), 1e-9);
  }

  @Test
  void noRatesMeansNoPrediction() {
    assertTrue(Double.isNaN(Predictor.ttftMs(null, BackendLoad.IDLE, 10)));
  }
}
