package dev.tiergate.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * The engine's step loop, as vLLM, SGLang and llama.cpp run it. At most {@code maxRunning} sequences hold a slot;
 * later ones wait in arrival order. Each step carries at most {@code stepTokens} tokens: one per decoding sequence
 * first, then prompt chunks in admission order. A step lasts one decode interval of its batch
 * ({@link RateModel#perStreamTps}) plus the time of its prompt chunks, so a long prompt stretches every decode
 * on the engine: a 2048-token chunk at ≈ 1200 prompt tokens/s holds each decoding stream to under 1 token/s.
 * With {@code stepTokens} 0 there is no shared step: each prompt takes its own time and slows nobody.
 *
 * <p>Pure logic on a clock it is given, so tests can run minutes of engine time at once. Not thread-safe: the sim
 * calls it from its engine's context only. Time only moves inside {@link #advance()}; it never sleeps.
 */
final class Scheduler {
  static final long IDLE = Long.MAX_VALUE;
  /** Work one advance does before it hands the event loop back; the engine then runs late rather than block. */
  private static final int MAX_EVENTS_PER_ADVANCE = 256;
  private static final int MAX_TOKENS_PER_ADVANCE = 8192;
  /** A request asking for a rate far above the engine's gets at most this many tokens per step. */
  private static final int MAX_TOKENS_PER_STEP = 64;

  /** What the engines' load endpoints report, counted in one pass. */
  record Load(int waiting, int admitted, int started, int decoding, long kvTokens) {
  }

  private final SimOptions options;
  private final LongSupplier clock;
  private final int stepTokens;
  private final int maxRunning;
  private final ArrayDeque<Seq> waiting = new ArrayDeque<>();
  /** Admitted sequences in admission order; ended ones are dropped lazily at the next step. */
  private final List<Seq> running = new ArrayList<>();
  private final List<Seq> inStep = new ArrayList<>();
  /** Prompts in flight when there is no shared step, soonest first. */
  private final PriorityQueue<Seq> alone = new PriorityQueue<>(Comparator.comparingLong(s -> s.prefillDoneAt));
  private final BitSet slots = new BitSet();
  private final List<Seq> lastInSlot = new ArrayList<>();
  private int admitted;
  private boolean dropEnded;
  private long stepEnd = IDLE;
  private boolean advancing;
  private long eventTime;
  private long steps;
  private long busySlotSteps;

  Scheduler(SimOptions options, LongSupplier clock) {
    this.options = options;
    this.clock = clock;
    this.stepTokens = options.stepTokens();
    this.maxRunning = options.maxRunning();
  }

  void submit(Seq s) {
    s.state = Seq.State.WAITING;
    waiting.addLast(s);
    admit(now());
  }

  /** The request ended (done, failed, or its client left): its slot goes to the next in line at once. */
  void remove(Seq s) {
    switch (s.state) {
      case GONE -> {
        return;
      }
      case NEW -> {
        s.state = Seq.State.GONE; // ended before it reached the engine
        return;
      }
      case WAITING -> waiting.remove(s);
      case PREFILL, DECODE -> {
        if (s.state == Seq.State.PREFILL && stepTokens == 0) {
          alone.remove(s);
        }
        slots.clear(s.slot);
        admitted--;
        dropEnded = true;
      }
    }
    s.state = Seq.State.GONE;
    admit(now());
  }

  /** A slow reader: the sequence keeps its slot but leaves the batch until {@link #release}. */
  void hold(Seq s) {
    s.held = true;
  }

  void release(Seq s) {
    s.held = false;
  }

  boolean advancing() {
    return advancing;
  }

  /**
   * Runs every step and prompt completion due by now, delivering their tokens.
   *
   * @return when the next one is due on the clock, {@link #IDLE} when nothing is in flight, or now when the work
   *     cap was reached and the caller should come back soon
   */
  long advance() {
    long now = clock.getAsLong();
    advancing = true;
    eventTime = now;
    try {
      if (stepEnd == IDLE) {
        startStep(now);
      }
      int events = 0;
      int tokens = 0;
      while (true) {
        long t = nextEvent();
        if (t == IDLE || t > now) {
          return t;
        }
        if (events >= MAX_EVENTS_PER_ADVANCE || tokens >= MAX_TOKENS_PER_ADVANCE) {
          return now;
        }
        events++;
        eventTime = t;
        if (t == stepEnd) {
          tokens += endStep();
          startStep(t);
        } else {
          tokens += endAlonePrompt();
          if (stepEnd == IDLE) {
            startStep(t);
          }
        }
      }
    } finally {
      advancing = false;
    }
  }

  Load load() {
    int started = 0;
    int decoding = 0;
    long kv = 0;
    for (Seq s : running) {
      if (s.admitted()) {
        started += s.started ? 1 : 0;
        decoding += s.state == Seq.State.DECODE ? 1 : 0;
        kv += s.kvTokens();
      }
    }
    return new Load(waiting.size(), admitted, started, decoding, kv);
  }

  int maxRunning() {
    return maxRunning;
  }

  /** The last sequence each slot served (null: never used), for llama.cpp's /slots. */
  List<Seq> slotHistory() {
    return Collections.unmodifiableList(lastInSlot);
  }

  long steps() {
    return steps;
  }

  /** Sum over steps of the slots busy in each: over {@link #steps()}, llama.cpp's n_busy_slots_per_decode. */
  long busySlotSteps() {
    return busySlotSteps;
  }

  private long now() {
    return advancing ? eventTime : clock.getAsLong();
  }

  private void admit(long at) {
    while (admitted < maxRunning && !waiting.isEmpty()) {
      Seq s = waiting.pollFirst();
      s.state = Seq.State.PREFILL;
      s.slot = slots.nextClearBit(0);
      slots.set(s.slot);
      while (lastInSlot.size() <= s.slot) {
        lastInSlot.add(null);
      }
      lastInSlot.set(s.slot, s);
      running.add(s);
      admitted++;
      if (s.parent != null) {
        if (s.parent.prompted()) {
          startFromParent(s); // the parent's prompt is already there: decode from the next step on
        }
        // else it waits, started or not, until the parent's prompt is done (promoteChildren)
      } else if (stepTokens == 0) {
        s.started = true;
        s.prefillDoneAt = at + nanos(s.promptTokens / RateModel.prefillTps(options, s.promptTokens));
        alone.add(s);
      }
    }
  }

  private long nextEvent() {
    Seq first = alone.peek();
    return first == null ? stepEnd : Math.min(stepEnd, first.prefillDoneAt);
  }

  /** Plans the batch of the step that starts at {@code start}: decodes first, then prompt chunks. */
  private void startStep(long start) {
    if (dropEnded) {
      running.removeIf(s -> s.state == Seq.State.GONE);
      dropEnded = false;
    }
    int budget = stepTokens == 0 ? Integer.MAX_VALUE : stepTokens;
    int decodes = 0;
    for (Seq s : running) {
      if (budget == 0) {
        break;
      }
      if (s.state == Seq.State.DECODE && !s.held) {
        inStep.add(s);
        decodes++;
        budget--;
      }
    }
    double seconds = decodes == 0 ? 0
        : 1.0 / RateModel.perStreamTps(options.decodeTps(), decodes, options.denseBatching());
    if (stepTokens > 0) {
      for (Seq s : running) {
        if (budget == 0) {
          break;
        }
        if (s.state == Seq.State.PREFILL && s.parent == null) {
          s.chunk = Math.min(s.promptTokens - s.prefilled, budget);
          s.started = true;
          budget -= s.chunk;
          inStep.add(s);
          seconds += s.chunk / RateModel.prefillTps(options, s.promptTokens);
        }
      }
    }
    if (!inStep.isEmpty()) {
      stepEnd = start + nanos(seconds);
      steps++;
      busySlotSteps += admitted;
    }
  }

  /** The step's results land at its end: prompt chunks count, a finished prompt gives its first token. */
  private int endStep() {
    stepEnd = IDLE;
    int tokens = 0;
    for (Seq s : inStep) { // sinks may end sequences (GONE) but never touch this list
      if (s.state == Seq.State.PREFILL) {
        s.prefilled += s.chunk;
        s.chunk = 0;
        if (s.prefilled >= s.promptTokens) {
          s.state = Seq.State.DECODE;
          tokens += emit(s, 1);
          tokens += promoteChildren(s);
        }
      } else if (s.state == Seq.State.DECODE && !s.held) {
        s.credit += s.ratio;
        int sent = emit(s, (int) Math.min(s.credit, MAX_TOKENS_PER_STEP));
        // keep the fraction a slow request has earned, never a backlog that would come out as a burst
        s.credit = Math.min(s.credit - sent, 1.0);
        tokens += sent;
      }
    }
    inStep.clear();
    return tokens;
  }

  private int endAlonePrompt() {
    Seq s = alone.poll();
    s.prefilled = s.promptTokens;
    s.state = Seq.State.DECODE;
    return emit(s, 1) + promoteChildren(s);
  }

  /**
   * The parent's prompt is done: every child already holding a slot starts from it and samples its first token
   * in the same pass, as llama.cpp's child slots do. Cheap: only a request with {@code n > 1} has children.
   */
  private int promoteChildren(Seq parent) {
    int tokens = 0;
    for (int i = 0, n = running.size(); i < n; i++) { // by index: a sink may admit a waiting sequence (append)
      Seq c = running.get(i);
      if (c.parent == parent && c.state == Seq.State.PREFILL) {
        startFromParent(c);
        tokens += emit(c, 1);
      }
    }
    return tokens;
  }

  private static void startFromParent(Seq s) {
    s.started = true;
    s.prefilled = s.promptTokens;
    s.state = Seq.State.DECODE;
  }

  private static int emit(Seq s, int n) {
    int sent = 0;
    while (sent < n && s.state == Seq.State.DECODE && !s.held) {
      boolean more = s.sink.token();
      sent++;
      if (s.state != Seq.State.GONE) {
        s.generated++;
      }
      if (!more) {
        break;
      }
    }
    return sent;
  }

  private static long nanos(double seconds) {
    return Math.max(1L, Math.round(seconds * 1e9));
  }
}
