package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;

/**
 * One request's life on the simulated engine: optional loading hold, the fixed front part of the time to first
 * token, then the engine's {@link Scheduler} hands it its first token and the rest, step by step, until the plan
 * is spent, a fault fires, or the peer goes away. A request for {@code n} choices runs {@code n} sequences, each
 * with its own slot and share of every decode step, as the engines run them. Runs on the sim's event loop only; at most one timer of its own
 * is pending (hold or front delay), so cancelling it and leaving the scheduler is all a teardown needs.
 */
final class Generation {
  private enum Phase { HOLD, FRONT, ENGINE, DECODE, STALLED, DONE }

  private final SimCore core;
  private final Output out;
  private final HttpServerResponse response;
  private final int promptTokens;
  private final Fault fault;
  private final int faultAfter;
  private final double roleDelayMs;
  /** The request's {@code n} choices, each its own sequence on the engine; one for almost every request. */
  private final Choice[] choices;

  private Phase phase = Phase.HOLD;
  private long timerId = -1;
  /** Choices still generating. */
  private int unfinished;
  private long prefillStartNanos;
  private long firstTokenNanos;
  private boolean paused;

  /** One of the request's choices: its own plan, sequence (slot, decode share) and count. */
  private final class Choice implements Seq.Sink {
    final int index;
    final Plan plan;
    final Seq seq;
    int emitted;
    boolean begun;
    long firstTokenNanos;
    Outcome outcome;

    Choice(int index, Plan plan, Seq parent, double ratio, int maxTokens, boolean stream) {
      this.index = index;
      this.plan = plan;
      this.seq = new Seq(core.nextTaskId(), promptTokens, ratio, maxTokens, stream, this, parent);
    }

    @Override
    public boolean token() {
      return Generation.this.token(this);
    }
  }

  /**
   * @param plans one per choice ({@code n}); the first choice's sequence prefills the prompt, the others start
   *     from it
   * @param maxTokens the limit the request set, -1 for none (only reported, the plan already honours it)
   * @param roleDelayMs send the role chunk at once and the first token no sooner than this later
   */
  Generation(SimCore core, Plan[] plans, Output out, HttpServerResponse response, int promptTokens, Fault fault,
      int faultAfter, double decodeTps, int maxTokens, boolean stream, double roleDelayMs) {
    this.core = core;
    this.out = out;
    this.response = response;
    this.promptTokens = promptTokens;
    this.fault = fault;
    this.faultAfter = Math.max(0, faultAfter);
    this.roleDelayMs = roleDelayMs;
    this.choices = new Choice[plans.length];
    double ratio = decodeTps / core.options.decodeTps();
    for (int c = 0; c < plans.length; c++) {
      choices[c] = new Choice(c, plans[c], c == 0 ? null : choices[0].seq, ratio, maxTokens, stream);
    }
    this.unfinished = plans.length;
  }

  /** @param holdMs time the engine keeps the request unanswered before it starts (ik_llama while loading) */
  void start(long holdMs) {
    core.register(this);
    core.stats.streamStarted();
    response.closeHandler(v -> onPeerClosed());
    if (holdMs > 0) {
      timerId = core.vertx.setTimer(holdMs, t -> open());
    } else {
      open();
    }
  }

  private void open() {
    timerId = -1;
    if (phase != Phase.HOLD) {
      return;
    }
    if (fault == Fault.STALL_FIRST) {
      phase = Phase.STALLED; // accepted, then silence: not even a status line
      return;
    }
    phase = Phase.FRONT;
    prefillStartNanos = System.nanoTime();
    out.open();
    if (roleDelayMs > 0) {
      for (Choice c : choices) {
        c.begun = true;
        out.begin(c.index);
      }
    }
    // the fixed part of TTFT (tokenizing, scheduling) happens outside the engine's steps and slows nobody
    long ms = Math.round(core.options.ttftBaseMs() + roleDelayMs);
    if (ms > 0) {
      timerId = core.vertx.setTimer(ms, t -> enterEngine());
    } else {
      enterEngine();
    }
  }

  private void enterEngine() {
    timerId = -1;
    if (phase != Phase.FRONT) {
      return;
    }
    phase = Phase.ENGINE;
    for (Choice c : choices) {
      core.scheduler.submit(c.seq); // in index order: the parent is admitted first
    }
    core.kick();
  }

  private boolean token(Choice c) {
    if (phase == Phase.ENGINE) {
      firstToken();
    }
    if (phase != Phase.DECODE || c.outcome != null) {
      return false;
    }
    if (!c.begun) {
      c.begun = true;
      out.begin(c.index);
    }
    if (c.emitted == 0) {
      c.firstTokenNanos = System.nanoTime();
    }
    int total = c.plan.total();
    if (fault.mid && c.emitted == faultAfter) {
      midFault();
      return false;
    }
    out.token(c.index, c.emitted, c.emitted == total - 1);
    c.emitted++;
    core.generationTokensTotal++;
    if (c.emitted == total) {
      if (fault.mid) {
        midFault(); // asked to fail after more tokens than the plan has: fail instead of finishing
      } else {
        finish(c);
      }
      return false;
    }
    if (out.writeQueueFull()) {
      // a slow reader holds the engine back instead of letting the sim buffer without bound
      paused = true;
      core.stats.streamPaused();
      for (Choice h : choices) {
        core.scheduler.hold(h.seq);
      }
      out.onDrain(this::resume);
      return false;
    }
    return true;
  }

  /** The request's first token (of any choice): the end of its time to first token. */
  private void firstToken() {
    phase = Phase.DECODE;
    firstTokenNanos = System.nanoTime();
    double ttft = (firstTokenNanos - prefillStartNanos) / 1e9;
    core.ttftSecondsSum += ttft;
    core.prefillSecondsSum += ttft;
    core.ttftCount++;
    core.promptTokensTotal += promptTokens;
  }

  private void resume() {
    if (phase == Phase.DECODE && paused) {
      paused = false;
      core.stats.streamResumed();
      for (Choice c : choices) {
        core.scheduler.release(c.seq);
      }
      core.kick();
    }
  }

  private void midFault() {
    switch (fault) {
      case STALL_MID -> {
        leaveEngine(); // silent but still holding the connection; only the peer can end it
        phase = Phase.STALLED;
      }
      case DROP_MID -> {
        end();
        out.drop();
      }
      case ERROR_MID -> {
        end();
        out.midError();
      }
      default -> throw new IllegalStateException("not a mid-stream fault: " + fault);
    }
  }

  /** One choice is spent: its slot is free at once; the last one completes the request. */
  private void finish(Choice c) {
    long now = System.nanoTime();
    c.outcome = new Outcome(core.engine, promptTokens, c.emitted, c.plan.finishReason(core.engine),
        (firstTokenNanos - prefillStartNanos) / 1e6, (now - c.firstTokenNanos) / 1e6, core.options.contextWindow());
    if (--unfinished == 0) {
      complete(now, c);
      return;
    }
    core.scheduler.remove(c.seq);
    core.kick();
    out.finishChoice(c.index, c.outcome);
  }

  private void complete(long now, Choice last) {
    core.decodeSecondsSum += (now - firstTokenNanos) / 1e9;
    core.successTotal++;
    int longest = 0;
    Outcome[] outcomes = new Outcome[choices.length];
    for (Choice c : choices) {
      longest = Math.max(longest, c.emitted);
      outcomes[c.index] = c.outcome;
    }
    core.noteSequenceLength(promptTokens + longest);
    end(); // counters first: a test that sees the response end must also see them settled
    core.stats.onCompleted();
    out.finishChoice(last.index, last.outcome);
    out.finish(outcomes, fault == Fault.NO_DONE);
  }

  private void onPeerClosed() {
    if (phase == Phase.DONE) {
      return;
    }
    end();
    core.stats.onAbort();
  }

  void shutdown() {
    if (phase != Phase.DONE) {
      end();
    }
  }

  private void end() {
    if (timerId >= 0) {
      core.vertx.cancelTimer(timerId);
      timerId = -1;
    }
    leaveEngine();
    if (paused) {
      paused = false;
      core.stats.streamResumed();
    }
    phase = Phase.DONE;
    core.unregister(this);
    core.stats.streamEnded();
  }

  /** Frees the slots at once, so the next request in line starts without waiting for a timer. */
  private void leaveEngine() {
    boolean left = false;
    for (Choice c : choices) {
      if (c.seq.state != Seq.State.GONE) {
        core.scheduler.remove(c.seq);
        left = true;
      }
    }
    if (left) {
      core.kick();
    }
  }
}
