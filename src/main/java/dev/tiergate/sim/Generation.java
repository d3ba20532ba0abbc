package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;

/**
 * One request's life on the simulated engine: optional loading hold, prefill, then one token per decode
 * interval until the plan is spent, a fault fires, or the peer goes away. Runs on the sim's event loop only;
 * exactly one timer is pending at a time, so cancelling it is all a teardown needs.
 */
final class Generation {
  private enum Phase { HOLD, PREFILL, DECODE, STALLED, DONE }

  /** Cap on tokens written in one timer callback, so a very fast rate cannot monopolise the loop. */
  private static final int MAX_BURST = 64;

  private final SimCore core;
  private final Plan plan;
  private final Output out;
  private final HttpServerResponse response;
  private final int promptTokens;
  private final Fault fault;
  private final int faultAfter;
  private final double decodeTps;

  private Phase phase = Phase.HOLD;
  private long timerId = -1;
  private int emitted;
  private long nextDueNanos;
  private long prefillStartNanos;
  private long firstTokenNanos;
  private boolean paused;
  private boolean countedPrefill;
  private boolean countedDecode;

  Generation(SimCore core, Plan plan, Output out, HttpServerResponse response, int promptTokens, Fault fault,
      int faultAfter, double decodeTps) {
    this.core = core;
    this.plan = plan;
    this.out = out;
    this.response = response;
    this.promptTokens = promptTokens;
    this.fault = fault;
    this.faultAfter = Math.max(0, faultAfter);
    this.decodeTps = decodeTps;
  }

  /** @param holdMs time the engine keeps the request unanswered before prefill (ik_llama while loading) */
  void start(long holdMs) {
    core.register(this);
    core.stats.streamStarted();
    response.closeHandler(v -> onPeerClosed());
    if (holdMs > 0) {
      timerId = core.vertx.setTimer(holdMs, t -> beginPrefill());
    } else {
      beginPrefill();
    }
  }

  int contextTokens() {
    return promptTokens + emitted;
  }

  private void beginPrefill() {
    timerId = -1;
    if (phase != Phase.HOLD) {
      return;
    }
    if (fault == Fault.STALL_FIRST) {
      phase = Phase.STALLED; // accepted, then silence: not even a status line
      return;
    }
    phase = Phase.PREFILL;
    core.prefilling++;
    countedPrefill = true;
    prefillStartNanos = System.nanoTime();
    out.open();
    long ms = Math.max(1, Math.round(RateModel.ttftMs(core.options, promptTokens)));
    timerId = core.vertx.setTimer(ms, t -> beginDecode());
  }

  private void beginDecode() {
    timerId = -1;
    if (phase != Phase.PREFILL) {
      return;
    }
    leavePrefill();
    phase = Phase.DECODE;
    core.decoding++;
    countedDecode = true;
    firstTokenNanos = System.nanoTime();
    double ttft = (firstTokenNanos - prefillStartNanos) / 1e9;
    core.ttftSecondsSum += ttft;
    core.prefillSecondsSum += ttft;
    core.ttftCount++;
    core.promptTokensTotal += promptTokens;
    out.begin();
    nextDueNanos = firstTokenNanos;
    pump();
  }

  private void pump() {
    timerId = -1;
    if (phase != Phase.DECODE || paused) {
      return;
    }
    long now = System.nanoTime();
    int total = plan.total();
    for (int burst = 0; nextDueNanos <= now && burst < MAX_BURST; burst++) {
      if (fault.mid && emitted == Math.min(faultAfter, total)) {
        midFault();
        return;
      }
      if (emitted == total) {
        complete();
        return;
      }
      boolean last = emitted == total - 1;
      out.token(emitted, last);
      emitted++;
      core.generationTokensTotal++;
      if (!last) {
        nextDueNanos += intervalNanos();
      }
      if (out.writeQueueFull()) {
        // a slow reader holds the engine back instead of letting the sim buffer without bound
        paused = true;
        core.stats.streamPaused();
        out.onDrain(this::resume);
        return;
      }
    }
    long delayMs = Math.max(1, (nextDueNanos - now + 999_999) / 1_000_000);
    timerId = core.vertx.setTimer(delayMs, t -> pump());
  }

  private void resume() {
    if (phase == Phase.DECODE && paused) {
      paused = false;
      core.stats.streamResumed();
      nextDueNanos = Math.max(nextDueNanos, System.nanoTime());
      pump();
    }
  }

  /** Recomputed per token, so streams speed up or slow down as others join or leave the batch. */
  private long intervalNanos() {
    double tps = RateModel.perStreamTps(decodeTps, core.decoding, core.options.denseBatching());
    return (long) (1e9 / tps);
  }

  private void midFault() {
    switch (fault) {
      case STALL_MID -> {
        leaveDecode(); // silent but still holding the connection; only the peer can end it
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
    leavePrefill();
    leaveDecode();
    if (paused) {
      paused = false;
      core.stats.streamResumed();
    }
    phase = Phase.DONE;
    core.unregister(this);
    core.stats.streamEnded();
  }

  private void leavePrefill() {
    if (countedPrefill) {
      countedPrefill = false;
      core.prefilling--;
    }
  }

  private void leaveDecode() {
    if (countedDecode) {
      countedDecode = false;
      core.decoding--;
    }
  }
}
