package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;

/**
 * One request's life on the simulated engine: optional loading hold, the fixed front part of the time to first
 * token, then the engine's {@link Scheduler} hands it its first token and the rest, step by step, until the plan
 * is spent, a fault fires, or the peer goes away. Runs on the sim's event loop only; at most one timer of its own
 * is pending (hold or front delay), so cancelling it and leaving the scheduler is all a teardown needs.
 */
final class Generation implements Seq.Sink {
  private enum Phase { HOLD, FRONT, ENGINE, DECODE, STALLED, DONE }

  private final SimCore core;
  private final Plan plan;
  private final Output out;
  private final HttpServerResponse response;
  private final int promptTokens;
  private final Fault fault;
  private final int faultAfter;
  private final double roleDelayMs;
  private final Seq seq;

  private Phase phase = Phase.HOLD;
  private long timerId = -1;
  private int emitted;
  private long prefillStartNanos;
  private long firstTokenNanos;
  private boolean begun;
  private boolean paused;

  /**
   * @param maxTokens the limit the request set, -1 for none (only reported, the plan already honours it)
   * @param roleDelayMs send the role chunk at once and the first token no sooner than this later
   */
  Generation(SimCore core, Plan plan, Output out, HttpServerResponse response, int promptTokens, Fault fault,
      int faultAfter, double decodeTps, int maxTokens, boolean stream, double roleDelayMs) {
    this.core = core;
    this.plan = plan;
    this.out = out;
    this.response = response;
    this.promptTokens = promptTokens;
    this.fault = fault;
    this.faultAfter = Math.max(0, faultAfter);
    this.roleDelayMs = roleDelayMs;
    this.seq = new Seq(core.nextTaskId(), promptTokens, decodeTps / core.options.decodeTps(), maxTokens, stream,
        this);
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
      out.begin();
      begun = true;
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
    core.scheduler.submit(seq);
    core.kick();
  }

  @Override
  public boolean token() {
    if (phase == Phase.ENGINE) {
      firstToken();
    }
    if (phase != Phase.DECODE) {
      return false;
    }
    int total = plan.total();
    if (fault.mid && emitted == faultAfter) {
      midFault();
      return false;
    }
    out.token(emitted, emitted == total - 1);
    emitted++;
    core.generationTokensTotal++;
    if (emitted == total) {
      if (fault.mid) {
        midFault(); // asked to fail after more tokens than the plan has: fail instead of finishing
      } else {
        complete();
      }
      return false;
    }
    if (out.writeQueueFull()) {
      // a slow reader holds the engine back instead of letting the sim buffer without bound
      paused = true;
      core.stats.streamPaused();
      core.scheduler.hold(seq);
      out.onDrain(this::resume);
      return false;
    }
    return true;
  }

  private void firstToken() {
    phase = Phase.DECODE;
    firstTokenNanos = System.nanoTime();
    double ttft = (firstTokenNanos - prefillStartNanos) / 1e9;
    core.ttftSecondsSum += ttft;
    core.prefillSecondsSum += ttft;
    core.ttftCount++;
    core.promptTokensTotal += promptTokens;
    if (!begun) {
      out.begin();
      begun = true;
    }
  }

  private void resume() {
    if (phase == Phase.DECODE && paused) {
      paused = false;
      core.stats.streamResumed();
      core.scheduler.release(seq);
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

  private void complete() {
    long now = System.nanoTime();
    double promptMs = (firstTokenNanos - prefillStartNanos) / 1e6;
    double predictedMs = (now - firstTokenNanos) / 1e6;
    core.decodeSecondsSum += predictedMs / 1000.0;
    core.successTotal++;
    core.noteSequenceLength(promptTokens + emitted);
    Outcome o = new Outcome(core.engine, promptTokens, emitted, plan.finishReason(core.engine), promptMs,
        predictedMs, core.options.contextWindow());
    end(); // counters first: a test that sees the response end must also see them settled
    core.stats.onCompleted();
    out.finish(o, fault == Fault.NO_DONE);
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

  /** Frees the slot at once, so the next request in line starts without waiting for a timer. */
  private void leaveEngine() {
    if (seq.state != Seq.State.GONE) {
      core.scheduler.remove(seq);
      core.kick();
    }
  }
}
