package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class MixOverlapTest {
  private static final long S = 1_000_000;

  /** An interactive stream on {@code tier} with output events at the given times (µs). */
  static MixOutcome chat(int index, String tier, long[] times) {
    return chat(index, tier, times, times.length);
  }

  static MixOutcome chat(int index, String tier, long[] times, int completionTokens) {
    MixRequest r = new MixRequest(index, MixClass.INTERACTIVE, 0, 100, times.length, 0, 0, "{}", Map.of());
    return new MixOutcome(r, 200, null, tier, null, times[0] - S / 2, times[0], times[times.length - 1], times.length,
        completionTokens, Double.NaN, Double.NaN, times);
  }

  /** A long prompt sent at {@code sentUs}, held {@code waitedMs} by the gateway, first output at {@code firstUs}. */
  static MixOutcome longPrompt(int index, MixClass kind, String tier, long sentUs, double waitedMs, long firstUs) {
    MixRequest r = new MixRequest(index, kind, 0, 50_000, 64, 1, 1, "{}", Map.of());
    return new MixOutcome(r, 200, null, tier, null, sentUs, firstUs, firstUs + 5 * S, 64, 64, waitedMs, Double.NaN, new long[0]);
  }

  /** Events every {@code stepUs} in [from, to). */
  static long[] every(long from, long to, long stepUs) {
    return LongStream.iterate(from, t -> t < to, t -> t + stepUs).toArray();
  }

  /** 10 tok/s from 10 s to 12 s, 1 tok/s while the prefill runs (12–16 s), 10 tok/s again to 20 s. */
  static long[] starvedBetween12And16() {
    return LongStream.concat(LongStream.concat(LongStream.of(every(10 * S, 12 * S, S / 10)), LongStream.of(every(13 * S, 17 * S, S))),
        LongStream.of(every(17 * S, 20 * S, S / 10))).toArray();
  }

  @Test
  void theRateInsideThePrefillIsTheStreamsTokensThereOverTheSpan() {
    MixOutcome c = chat(0, "fast", starvedBetween12And16());
    // sent at 11 s, held 1 s by admission: the engine prefills from 12 s to its first output at 16 s
    MixOutcome l = longPrompt(1, MixClass.AGENT, "fast", 11 * S, 1000, 16 * S);
    List<MixOverlap.Overlapped> got = MixOverlap.rates(List.of(c, l));
    assertEquals(1, got.size());
    assertEquals(4000, got.get(0).overlapMs(), 1e-9);
    assertEquals(1.0, got.get(0).tokensPerS(), 1e-9, "events at 13, 14, 15 and 16 s in (12 s, 16 s]");
    assertEquals("fast", got.get(0).tier());
  }

  @Test
  void aPrefillOnAnotherTierOrAnInteractivePromptDoesNotCount() {
    MixOutcome c = chat(0, "fast", starvedBetween12And16());
    MixOutcome elsewhere = longPrompt(1, MixClass.BATCH, "prefill", 11 * S, Double.NaN, 16 * S);
    MixOutcome other = chat(2, "fast", every(11 * S, 19 * S, S / 10));
    assertEquals(List.of(), MixOverlap.rates(List.of(c, elsewhere, other)));
    List<MixOverlap.Overlapped> fleetWide = MixOverlap.ratesFleetWide(List.of(c, elsewhere, other));
    assertEquals(2, fleetWide.size(), "fleet-wide, both chats decoded while prefill prefilled the batch prompt");
    assertEquals(13 / 5.0, fleetWide.get(0).tokensPerS(), 1e-9,
        "the first chat's events in (11 s, 16 s], while prefill prefilled: 9 before 12 s, then 13, 14, 15, 16 s");
  }

  @Test
  void timeHeldInTheGatewaysQueueIsNotPrefill() {
    MixOutcome c = chat(0, "fast", starvedBetween12And16());
    // sent at 2 s, but held until 14.5 s: only 1.5 s of prefill overlaps the stream, under the 2 s floor
    MixOutcome held = longPrompt(1, MixClass.AGENT, "fast", 2 * S, 12_500, 16 * S);
    assertEquals(List.of(), MixOverlap.rates(List.of(c, held)));
    MixOutcome notHeld = longPrompt(1, MixClass.AGENT, "fast", 2 * S, Double.NaN, 16 * S);
    assertEquals(6000, MixOverlap.rates(List.of(c, notHeld)).get(0).overlapMs(), 1e-9, "10 s to 16 s of the stream");
  }

  @Test
  void twoPrefillsAtOnceCountTheirSharedSecondsOnce() {
    MixOutcome c = chat(0, "fast", starvedBetween12And16());
    MixOutcome a = longPrompt(1, MixClass.AGENT, "fast", 12 * S, Double.NaN, 15 * S);
    MixOutcome b = longPrompt(2, MixClass.BATCH, "fast", 14 * S, Double.NaN, 16 * S);
    MixOverlap.Overlapped o = MixOverlap.rates(List.of(c, a, b)).get(0);
    assertEquals(4000, o.overlapMs(), 1e-9, "12–16 s, not 3 s + 2 s");
    assertEquals(1.0, o.tokensPerS(), 1e-9);
  }

  @Test
  void spansAreClippedToTheStreamsDecode() {
    MixOutcome c = chat(0, "fast", starvedBetween12And16());
    MixOutcome l = longPrompt(1, MixClass.BATCH, "fast", 0, Double.NaN, 30 * S);
    MixOverlap.Overlapped o = MixOverlap.rates(List.of(c, l)).get(0);
    assertEquals(9900, o.overlapMs(), 1e-9, "first output at 10 s to the last at 19.9 s");
  }

  @Test
  void eventsCarryingSeveralTokensCountThemAll() {
    MixOutcome c = chat(0, "fast", starvedBetween12And16(), 2 * starvedBetween12And16().length);
    MixOutcome l = longPrompt(1, MixClass.AGENT, "fast", 12 * S, Double.NaN, 16 * S);
    assertEquals(2.0, MixOverlap.rates(List.of(c, l)).get(0).tokensPerS(), 1e-9);
  }

  @Test
  void mergeJoinsTouchingSpansAndKeepsSeparateOnesApart() {
    List<long[]> m = MixOverlap.merged(new java.util.ArrayList<>(List.of(new long[] {5, 7}, new long[] {1, 3},
        new long[] {3, 4}, new long[] {6, 9})));
    assertEquals(2, m.size());
    assertEquals(List.of(1L, 4L, 5L, 9L), List.of(m.get(0)[0], m.get(0)[1], m.get(1)[0], m.get(1)[1]));
  }
}
