package dev.tiergate.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tiergate.config.TierPolicy;
import org.junit.jupiter.api.Test;

/** Learned rates start from the tier's profile and follow what requests measure. */
class LearnedRatesTest {
  static final TierPolicy.Profile FAST = new TierPolicy.Profile(1500.0, 262_665, 80.0, 150.0);

  @Test
  void theProfileSeedsEveryBand() {
    LearnedRates r = new LearnedRates(FAST);
    // rate(n) = p0 / (1 + n/h) at the band's middle: 2560 tokens for the 1024–4096 band.
    assertEquals(1500 / (1 + 2560.0 / 262_665), r.prefillTps(3000), 1e-6);
    assertEquals(80, r.decodeTps(1), 1e-9);
    assertEquals(80 * 1.44 / 2, r.decodeTps(2), 1e-9, "a dense model shares its peak between two streams");
    assertEquals(150, r.baseLatencyMs(), 1e-9);
  }

  @Test
  void theFirstMeasurementWeighsHalfAndLaterOnesLess() {
    LearnedRates r = new LearnedRates(FAST);
    double seed = r.prefillTps(20_000);
    // 20000 uncached tokens, upstream TTFT = base 150 ms + 20 s of prefill → 1000 tok/s measured.
    r.learn(20_000, 150 + 20_000, 0, Double.NaN, 1);
    assertEquals((seed + 1000) / 2, r.prefillTps(20_000), 1e-6);
    for (int i = 0; i < 60; i++) {
      r.learn(20_000, 150 + 20_000, 0, Double.NaN, 1);
    }
    assertEquals(1000, r.prefillTps(20_000), 1.0, "it converges on what the engine delivers");
    assertEquals(FAST.prefillTps() / (1 + 512.0 / 262_665), r.prefillTps(100), 1e-6, "other bands are untouched");
  }

  @Test
  void aPromptThatWaitedBehindOthersTeachesNothingAboutPrefill() {
    LearnedRates r = new LearnedRates(FAST);
    double before = r.prefillTps(20_000);
    r.learn(20_000, 150 + 60_000, 30_000, Double.NaN, 1);
    assertEquals(before, r.prefillTps(20_000), 1e-9, "60 s measured the queue ahead, not the engine");
  }

  @Test
  void decodeIsLearnedPerConcurrencyBand() {
    LearnedRates r = new LearnedRates(FAST);
    double seed = r.decodeTps(4);
    assertEquals(80 * LearnedRates.perStream(4), seed, 1e-9);
    r.learn(10, 200, 0, 30, 4);
    assertEquals((seed + 30) / 2, r.decodeTps(4), 1e-9);
    assertEquals(r.decodeTps(4), r.decodeTps(3), 1e-9, "3 and 4 streams share a band");
    assertEquals(80, r.decodeTps(1), 1e-9, "one stream alone is another band");
  }
}
