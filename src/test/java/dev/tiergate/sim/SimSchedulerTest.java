package dev.tiergate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine model on a clock the test moves: minutes of engine time run in milliseconds and every number is
 * exact, so the bands below are about the model, not about timers on a busy machine.
 */
class SimSchedulerTest {
  private static final long SECOND = 1_000_000_000L;

  /** Demo.calibrated("fast"): the seed's INT4 tier, prefill 1446 → 1118 tok/s at 10K → 90K, decode ≈ 80 tok/s. */
  static SimOptions demoFast(String engine) {
    return SimOptions.defaults(engine).withPrefillTps(1501).withPrefillHalfRateTokens(262665).withTtftBaseMs(150)
        .withDecodeTps(80);
  }

  /** A scheduler on a hand-moved clock, and sequences that record when each of their tokens came. */
  static final class Rig {
    long now;
    final Scheduler scheduler;
    static final long END = Long.MAX_VALUE - 1;
    final List<Probe> probes = new ArrayList<>();
    final List<Probe> admissionOrder = new ArrayList<>();
    int maxAdmittedSeen;

    Rig(SimOptions o) {
      scheduler = new Scheduler(o, () -> now);
    }

    Probe submit(int promptTokens, int tokens) {
      return submit(promptTokens, tokens, 1.0);
    }

    Probe submit(int promptTokens, int tokens, double ratio) {
      Probe p = new Probe(this, promptTokens, tokens, ratio, null);
      probes.add(p);
      scheduler.submit(p.seq);
      return p;
    }

    /** One request for {@code n} choices: the first sequence prefills, the others start from its prompt. */
    List<Probe> submitChoices(int n, int promptTokens, int tokens) {
      List<Probe> out = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        Probe p = new Probe(this, promptTokens, tokens, 1.0, c == 0 ? null : out.get(0).seq);
        probes.add(p);
        out.add(p);
        scheduler.submit(p.seq);
      }
      return out;
    }

    /** Runs the engine until {@code until}, as the sim's timer would, noting the order requests got a slot. */
    void runUntil(long until) {
      while (true) {
        long next = scheduler.advance();
        maxAdmittedSeen = Math.max(maxAdmittedSeen, scheduler.load().admitted());
        for (Probe p : probes) {
          if (p.seq.state != Seq.State.WAITING && !admissionOrder.contains(p)) {
            admissionOrder.add(p);
          }
        }
        if (next == Scheduler.IDLE || next > until) {
          now = Math.max(now, until == END ? now : until);
          return;
        }
        now = Math.max(now, next);
      }
    }

    void runToEnd() {
      runUntil(END);
    }
  }

  static final class Probe implements Seq.Sink {
    final Rig rig;
    final Seq seq;
    final int want;
    final List<Long> times = new ArrayList<>();
    long stepOfFirstToken = -1;

    Probe(Rig rig, int promptTokens, int want, double ratio, Seq parent) {
      this.rig = rig;
      this.want = want;
      this.seq = new Seq(rig.probes.size(), promptTokens, ratio, want, true, this, parent);
    }

    @Override
    public boolean token() {
      if (times.isEmpty()) {
        stepOfFirstToken = rig.scheduler.steps();
      }
      times.add(rig.now);
      rig.maxAdmittedSeen = Math.max(rig.maxAdmittedSeen, rig.scheduler.load().admitted());
      if (times.size() == want) {
        rig.scheduler.remove(seq);
        return false;
      }
      return true;
    }

    long first() {
      return times.get(0);
    }

    /** Tokens per second over the tokens that arrived in [from, to]. */
    double rate(long from, long to) {
      long n = times.stream().filter(t -> t > from && t <= to).count();
      return n * 1e9 / (to - from);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 8})
  void withoutPrefillDecodeRatesAreTheRateModels(int streams) {
    for (boolean dense : new boolean[] {true, false}) {
      Rig rig = new Rig(demoFast("vllm").withDenseBatching(dense));
      for (int i = 0; i < streams; i++) {
        rig.submit(20, 100_000);
      }
      rig.runUntil(2 * SECOND); // every prompt is done within the first steps
      long from = rig.now;
      rig.runUntil(from + 20 * SECOND);
      double expected = RateModel.perStreamTps(80, streams, dense);
      for (Probe p : rig.probes) {
        double got = p.rate(from, rig.now);
        assertEquals(expected, got, expected * 0.01, streams + " streams, dense " + dense);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"vllm", "sglang", "llamacpp", "ikllama"})
  void aLongPrefillDropsConcurrentDecodesUnderOneTokenPerSecond(String engine) {
    Rig rig = new Rig(demoFast(engine).withMaxRunning(4));
    Probe decoding = rig.submit(200, 1_000_000);
    rig.runUntil(5 * SECOND);
    double before = decoding.rate(SECOND, 5 * SECOND);
    assertEquals(80, before, 1, "alone it decodes at the calibrated rate");

    long arrival = rig.now;
    Probe prefill = rig.submit(60_000, 10);
    rig.runUntil(arrival + 120 * SECOND);
    long ttft = prefill.first() - arrival;
    double during = decoding.rate(arrival, prefill.first());
    // the seed: "a long prefill that arrives while other requests decode can drop their decode to under 1 tok/s"
    assertTrue(during >= 0.1 && during <= 1.0, engine + ": decode during the 60k prefill " + during + " tok/s");
    double alone = RateModel.ttftMs(demoFast(engine), 60_000) - 150;
    assertTrue(ttft / 1e6 >= alone && ttft / 1e6 < alone * 1.05,
        "the prefill takes its own time plus the decode steps it shares: " + ttft / 1e6 + " ms vs " + alone);

    long after = prefill.times.get(prefill.times.size() - 1);
    double recovered = decoding.rate(after, after + 10 * SECOND);
    assertEquals(80, recovered, 1, "once the prompt is in, decoding is back to its rate");
  }

  @Test
  void theStepBudgetIsSharedDecodesFirst() {
    Rig rig = new Rig(demoFast("vllm").withStepTokens(10).withPrefillTps(1_000_000).withPrefillHalfRateTokens(0));
    for (int i = 0; i < 4; i++) {
      rig.submit(5, 1_000_000);
    }
    rig.runUntil(SECOND);
    long stepsBefore = rig.scheduler.steps();
    Probe prompt = rig.submit(60, 2);
    while (prompt.times.isEmpty()) {
      rig.runUntil(rig.now + SECOND / 100);
    }
    // four decodes take four of the ten tokens: the prompt gets six per step, so ten steps
    assertEquals(10, prompt.stepOfFirstToken - stepsBefore);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void waitingIsFifoAndRunningNeverExceedsTheMaximum(int max) {
    Rig rig = new Rig(demoFast("llamacpp").withMaxRunning(max).withDecodeTps(1000).withPrefillTps(100_000));
    List<Probe> all = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      // lengths vary, so requests end out of order and free their slots out of order
      all.add(rig.submit(100 + 337 * (i % 3), 30 - 7 * (i % 3)));
    }
    assertEquals(max, rig.scheduler.load().admitted());
    assertEquals(7 - max, rig.scheduler.load().waiting());
    rig.runToEnd();
    assertEquals(max, rig.maxAdmittedSeen);
    assertEquals(all, rig.admissionOrder, "slots go to waiting requests in arrival order");
    for (int i = 1; i < all.size(); i++) {
      assertTrue(all.get(i).first() >= all.get(i - 1).first(), "request " + i + " began before request " + (i - 1));
    }
    for (Probe p : all) {
      assertEquals(p.want, p.times.size());
    }
    assertEquals(0, rig.scheduler.load().admitted());
    assertEquals(0, rig.scheduler.load().waiting());
  }

  @Test
  void anEndedRequestHandsItsSlotOnAtOnce() {
    Rig rig = new Rig(demoFast("llamacpp").withMaxRunning(1));
    Probe first = rig.submit(100, 1_000_000);
    Probe queued = rig.submit(100, 5);
    Probe leaves = rig.submit(100, 5);
    rig.runUntil(3 * SECOND);
    assertEquals(Seq.State.WAITING, queued.seq.state);
    rig.scheduler.remove(leaves.seq); // a client gone while queued leaves the queue
    assertEquals(1, rig.scheduler.load().waiting());
    rig.scheduler.remove(first.seq);
    assertEquals(Seq.State.PREFILL, queued.seq.state, "admitted without waiting for a step");
    assertEquals(0, rig.scheduler.load().waiting());
    rig.runToEnd();
    assertEquals(5, queued.times.size());
    assertTrue(leaves.times.isEmpty());
  }

  @Test
  void withoutASharedStepRequestsDoNotSlowEachOther() {
    SimOptions o = demoFast("vllm").withStepTokens(0).withPrefillTps(20_000).withPrefillHalfRateTokens(0)
        .withDecodeTps(200).withDenseBatching(false);
    Rig rig = new Rig(o);
    List<Probe> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      all.add(rig.submit(16_000, 120));
    }
    rig.runToEnd();
    for (Probe p : all) {
      assertEquals(800e6, p.first(), 1e3, "each 16k prompt takes 800 ms as if alone");
      long span = p.times.get(119) - p.first();
      assertEquals(119 / 200.0 * 1e9, span, 5e6 + 1e3, "and decodes at 200 tok/s");
    }
  }

  @Test
  void aRequestsOwnRateScalesItsShareOfEachStep() {
    Rig rig = new Rig(demoFast("vllm").withDenseBatching(false));
    Probe slow = rig.submit(10, 1_000_000, 0.25);
    Probe normal = rig.submit(10, 1_000_000, 1.0);
    rig.runUntil(SECOND);
    long from = rig.now;
    rig.runUntil(from + 20 * SECOND);
    assertEquals(20, slow.rate(from, rig.now), 0.2);
    assertEquals(80, normal.rate(from, rig.now), 0.2);
  }

  @Test
  void aHeldSequenceLeavesTheBatchUntilReleased() {
    Rig rig = new Rig(demoFast("vllm"));
    Probe p = rig.submit(10, 1_000_000);
    rig.runUntil(SECOND);
    rig.scheduler.hold(p.seq);
    int before = p.times.size();
    rig.runUntil(3 * SECOND);
    assertEquals(before, p.times.size());
    assertEquals(1, rig.scheduler.load().admitted(), "a slow reader keeps its slot");
    rig.scheduler.release(p.seq);
    rig.runUntil(4 * SECOND);
    assertFalse(p.times.size() < before + 70, "tokens flow again: " + (p.times.size() - before));
  }

  @Test
  void loadCountsWhatEachEngineReports() {
    Rig rig = new Rig(demoFast("vllm").withMaxRunning(3));
    rig.submit(10, 1_000_000);
    rig.runUntil(SECOND); // decoding
    rig.submit(60_000, 5); // its prompt is being chunked
    rig.submit(60_000, 5); // admitted, but the first prompt takes the whole budget
    rig.submit(10, 5); // no slot
    rig.runUntil(rig.now + SECOND);
    Scheduler.Load load = rig.scheduler.load();
    assertEquals(3, load.admitted());
    assertEquals(1, load.waiting());
    assertEquals(2, load.started(), "the decode and the prompt being chunked");
    assertEquals(1, load.decoding());
    assertTrue(load.kvTokens() > 10 && load.kvTokens() < 60_000, "KV holds what was computed: " + load.kvTokens());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2048})
  void nChoicesPrefillThePromptOnceAndStartTogether(int stepTokens) {
    SimOptions o = demoFast("llamacpp").withStepTokens(stepTokens).withMaxRunning(4);
    Rig alone = new Rig(o);
    Probe single = alone.submit(8_000, 5);
    alone.runToEnd();
    Rig rig = new Rig(o);
    List<Probe> choices = rig.submitChoices(3, 8_000, 5);
    rig.runUntil(SECOND / 1000);
    assertEquals(3, rig.scheduler.load().admitted(), "each choice holds a slot");
    rig.runToEnd();
    for (Probe c : choices) {
      assertEquals(5, c.times.size());
      assertEquals(single.first(), c.first(), "the prompt is computed once, every choice starts from it");
    }
  }

  @Test
  void eachChoiceTakesAShareOfEveryDecodeStep() {
    SimOptions o = demoFast("vllm"); // dense batching: more sequences per step, fewer tokens/s each
    Rig one = new Rig(o);
    Probe single = one.submit(10, 1_000_000);
    Rig two = new Rig(o);
    Probe a = two.submit(10, 1_000_000);
    Probe b = two.submit(10, 1_000_000);
    Rig n2 = new Rig(o);
    List<Probe> choices = n2.submitChoices(2, 10, 1_000_000);
    for (Rig r : List.of(one, two, n2)) {
      r.runUntil(SECOND);
    }
    long from = SECOND;
    for (Rig r : List.of(one, two, n2)) {
      r.runUntil(from + 10 * SECOND);
    }
    assertEquals(2, n2.scheduler.load().decoding());
    double alone = single.rate(from, from + 10 * SECOND);
    double pair = a.rate(from, from + 10 * SECOND);
    assertEquals(pair, b.rate(from, from + 10 * SECOND), 0.2);
    assertTrue(pair < alone - 1, "two sequences in a step decode slower each: " + pair + " vs " + alone);
    for (Probe c : choices) {
      assertEquals(pair, c.rate(from, from + 10 * SECOND), 0.2, "n=2 is the work of two requests");
    }
  }

  @Test
  void aChoiceWithoutASlotWaitsAndThenDecodesFromTheSharedPrompt() {
    Rig rig = new Rig(demoFast("llamacpp").withMaxRunning(1));
    List<Probe> choices = rig.submitChoices(2, 8_000, 5);
    rig.runUntil(SECOND / 1000);
    assertEquals(1, rig.scheduler.load().waiting(), "the second choice waits for a slot");
    rig.runToEnd();
    Probe first = choices.get(0);
    Probe second = choices.get(1);
    assertEquals(5, second.times.size());
    long firstLast = first.times.get(4);
    assertTrue(second.first() > firstLast, "it starts once the slot is free");
    assertTrue(second.first() - firstLast < SECOND / 10, "without computing the prompt again: "
        + (second.first() - firstLast) / 1e6 + " ms");
  }
}
