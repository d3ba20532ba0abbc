package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One request's life on the simulated engine: optional loading hold, the fixed front part of the time to first
 * token, then the engine's {@link Scheduler} hands it its first token and the rest, step by step, until the plan
 * is spent, a fault fires, or the peer goes away. A request for {@code n} choices runs {@code n} sequences, each
 * with its own slot and share of every decode step, as the engines run them.
 *
 * <p>Two threads, each with its own part. Every decision (phase, counts, faults, outcomes) is made on the engine's
 * context, where the scheduler calls {@link Seq.Sink#token()}; what the decisions write is gathered as output
 * operations and handed to the request's own HTTP loop once per engine task ({@link SimCore#flush}), which formats
 * and writes them ({@link #write}). That loop tells the engine back, by posting to it, when the client went away
 * or its reader fell behind and when it drained. At most one engine timer of its own is pending (hold or front
 * delay), so cancelling it and leaving the scheduler is all a teardown needs.
 */
final class Generation {
  private enum Phase { HOLD, FRONT, ENGINE, DECODE, STALLED, DONE }

  private final SimCore core;
  /** The request's HTTP loop: the only thread that touches {@link #out} and {@link #response}. */
  private final SimCore.Writers loop;
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
  /** Engine context: output decided since the last hand-off to {@link #loop}, in order; null when none. */
  private List<Consumer<Output>> batch;
  /** HTTP loop: the engine was asked to hold this request back and the drain has not come yet. */
  private boolean holdAsked;

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
  Generation(SimCore core, SimCore.Writers loop, Plan[] plans, Output out, HttpServerResponse response,
      int promptTokens, Fault fault, int faultAfter, double decodeTps, int maxTokens, boolean stream,
      double roleDelayMs) {
    this.core = core;
    this.loop = loop;
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

  /**
   * On the request's HTTP loop: hands the request to the engine.
   *
   * @param holdMs time the engine keeps the request unanswered before it starts (ik_llama while loading)
   */
  void start(long holdMs) {
    core.stats.streamStarted();
    // the close handler runs in a later task of this loop: the engine hears of the request before of its end
    response.closeHandler(v -> core.onEngine(this::onPeerClosed));
    core.onEngine(() -> arrive(holdMs));
  }

  private void arrive(long holdMs) {
    if (core.closed()) {
      phase = Phase.DONE; // the server is going down: nothing left to serve it
      core.stats.streamEnded();
      return;
    }
    core.register(this);
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
    emit(Output::open);
    if (roleDelayMs > 0) {
      for (Choice c : choices) {
        c.begun = true;
        int index = c.index;
        emit(o -> o.begin(index));
      }
    }
    core.flush();
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
    int index = c.index;
    if (!c.begun) {
      c.begun = true;
      emit(o -> o.begin(index));
    }
    if (c.emitted == 0) {
      c.firstTokenNanos = System.nanoTime();
    }
    int total = c.plan.total();
    if (fault.mid && c.emitted == faultAfter) {
      midFault();
      return false;
    }
    int at = c.emitted;
    boolean last = at == total - 1;
    emit(o -> o.token(index, at, last));
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

  /**
   * The request's loop found its write queue full: a slow reader holds the engine back (its sequences keep their
   * slots but leave the batch) instead of letting the sim buffer without bound.
   */
  private void slowReader() {
    if (phase != Phase.DECODE || paused) {
      return;
    }
    paused = true;
    core.stats.streamPaused();
    for (Choice h : choices) {
      core.scheduler.hold(h.seq);
    }
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
        emit(Output::drop);
      }
      case ERROR_MID -> {
        end();
        emit(Output::midError);
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
    int index = c.index;
    Outcome outcome = c.outcome;
    emit(o -> o.finishChoice(index, outcome));
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
    int index = last.index;
    Outcome outcome = last.outcome;
    boolean omitDone = fault == Fault.NO_DONE;
    emit(o -> {
      o.finishChoice(index, outcome);
      o.finish(outcomes, omitDone);
    });
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

  /** Engine context: one more piece of output for the request's loop, sent at the end of this engine task. */
  private void emit(Consumer<Output> op) {
    if (batch == null) {
      batch = new ArrayList<>(4);
      core.dirty(loop, this);
    }
    batch.add(op);
  }

  /** Engine context, from {@link SimCore#flush}: the output gathered since the last hand-off. */
  List<Consumer<Output>> takeBatch() {
    List<Consumer<Output>> b = batch;
    batch = null;
    return b;
  }

  /**
   * The request's HTTP loop: formats and writes one batch, then tells the engine if the reader fell behind. A
   * response the client already closed takes nothing more; the engine hears of the close from the close handler.
   */
  void write(List<Consumer<Output>> ops) {
    Consumer<String> probe = core.writeProbe;
    if (probe != null) {
      probe.accept(Thread.currentThread().getName());
    }
    try {
      for (Consumer<Output> op : ops) {
        if (response.ended() || response.closed()) {
          return;
        }
        op.accept(out);
      }
    } catch (RuntimeException e) {
      // a broken output must not leave its client hanging: cut it (the engine hears of it as a close)
      if (!response.closed()) {
        response.reset();
      }
      throw e;
    }
    if (!holdAsked && !response.ended() && !response.closed() && out.writeQueueFull()) {
      holdAsked = true;
      out.onDrain(() -> {
        holdAsked = false;
        core.onEngine(this::resume);
      });
      core.onEngine(this::slowReader);
    }
  }
}
