package dev.tiergate.admission;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.routing.BackendRates;
import dev.tiergate.routing.Candidate;
import dev.tiergate.routing.RouteDecision;
import dev.tiergate.routing.TierRouter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control: a long prompt does not start on a backend where interactive streams are
 * decoding or about to (their prompts prefilling), since its prefill would starve them (on the seed
 * rig a long prefill dropped live decodes to under 1 token/s). It goes to another candidate that can
 * take it now, or waits, bounded, in that backend's queue until its interactive streams are done or
 * another of its candidates can take it, whichever comes first. An interactive long prompt let
 * through claims its backend until the fleet counts it, so two never start together on one engine.
 * Only tiers with {@code tiers[].admission} are held; the rest pass straight through.
 */
public final class Admissions {
  /** Longer than any gap between letting a prompt through and the fleet counting its attempt. */
  static final long CLAIM_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final TierRouter router;
  private final Fleet fleet;
  private final Map<String, BackendQueue> queues = new LinkedHashMap<>();
  /** Per backend, until when (System.nanoTime) an interactive long prompt let through there holds others back. */
  private final Map<String, AtomicLong> claimedUntil = new LinkedHashMap<>();

  public Admissions(Vertx vertx, GatewayConfig config, Fleet fleet, TierRouter router) {
    this.router = router;
    this.fleet = fleet;
    for (TierConfig t : config.tiers()) {
      if (t.admission() == null) {
        continue;
      }
      for (BackendConfig b : t.backends()) {
        Candidate home = new Candidate(t.name(), b, "admission");
        claimedUntil.put(b.name(), new AtomicLong(System.nanoTime()));
        queues.put(b.name(), new BackendQueue(vertx, b.name(), t.admission(),
            w -> tryStart(home, w.promptTokens, w.batch), this::elsewhere));
      }
    }
  }

  /** Whether any tier has admission control (otherwise the stage is left out of the chain). */
  public boolean any() {
    return !queues.isEmpty();
  }

  /** A request's passage: at once, or after a wait it can cancel. */
  public static final class Ticket {
    private final Future<Admitted> future;
    private final Runnable cancel;

    Ticket(Future<Admitted> future, Runnable cancel) {
      this.future = future;
      this.cancel = cancel;
    }

    /** Completes at once when the request may start now; otherwise on a timer's thread. */
    public Future<Admitted> future() {
      return future;
    }

    public void cancel() {
      cancel.run();
    }
  }

  /** Lets the request through now (perhaps to another candidate), or makes it wait for its first one. */
  public Ticket admit(RouteDecision d, long promptTokens, boolean batch) {
    List<Candidate> c = d.candidates();
    if (c.isEmpty()) {
      return new Ticket(Future.succeededFuture(new Admitted(d, 0)), () -> { });
    }
    for (int i = 0; i < c.size(); i++) {
      if (startsNow(c.get(i), promptTokens, batch)) {
        return new Ticket(Future.succeededFuture(new Admitted(i == 0 ? d : first(d, i), 0)), () -> { });
      }
    }
    Candidate first = c.get(0);
    BackendQueue q = queues.get(first.backend().name());
    long retry = retryAfterSeconds(first, q, promptTokens);
    Waiter w = q.enter(promptTokens, batch, retry, c);
    if (w == null) {
      return new Ticket(Future.failedFuture(q.full(retry)), () -> { });
    }
    return new Ticket(w.future().map(waited -> new Admitted(w.candidate == 0 ? d : first(d, w.candidate), waited)),
        () -> q.cancel(w));
  }

  /** Whether a prompt arriving for the candidate may start there now: as {@link #tryStart}, behind those waiting. */
  private boolean startsNow(Candidate c, long promptTokens, boolean batch) {
    BackendQueue q = queues.get(c.backend().name());
    boolean behind = q != null && q.length() > 0 && router.holdsBack(c.tier(), promptTokens);
    return !behind && tryStart(c, promptTokens, batch);
  }

  /**
   * Whether the prompt may start on the candidate now. An interactive long prompt that may claims the backend
   * (one compare-and-set: of two prompts racing for an idle backend, one gets it).
   */
  private boolean tryStart(Candidate c, long promptTokens, boolean batch) {
    String b = c.backend().name();
    if (!queues.containsKey(b) || !router.holdsBack(c.tier(), promptTokens)) {
      return true;
    }
    if (fleet.load(b).interactive() > 0) {
      return false;
    }
    AtomicLong until = claimedUntil.get(b);
    long now = System.nanoTime();
    long claim = until.get();
    if (claim - now > 0) {
      return false;
    }
    return batch || until.compareAndSet(claim, now + CLAIM_NANOS);
  }

  /**
   * The decision with candidate {@code i} first and the others after it in their order. Moved to another tier, it
   * says why: its first choice held the prompt back ({@code fallback:<tier>-held}).
   */
  private static RouteDecision first(RouteDecision d, int i) {
    List<Candidate> c = d.candidates();
    Candidate moved = c.get(i);
    String from = c.get(0).tier();
    if (!moved.tier().equals(from)) {
      moved = new Candidate(moved.tier(), moved.backend(), "fallback:" + from + "-held", moved.predictedTtftMs());
    }
    List<Candidate> order = new ArrayList<>(c.size());
    order.add(moved);
    for (int j = 0; j < c.size(); j++) {
      if (j != i) {
        order.add(c.get(j));
      }
    }
    return new RouteDecision(d.tier(), d.reason(), List.copyOf(order), d.skipped(), d.swapTo());
  }

  /**
   * For a prompt held on its first candidate: another candidate that can start it now (no prompt
   * already waiting for that backend ahead of it, and not held there), or -1.
   */
  private int elsewhere(Waiter w) {
    List<Candidate> c = w.candidates;
    for (int i = 1; i < c.size(); i++) {
      if (startsNow(c.get(i), w.promptTokens, w.batch)) {
        return i;
      }
    }
    return -1;
  }

  /** When a retry may find the backend free: the prefill queued ahead and this prompt's own, at the learned rate. */
  private long retryAfterSeconds(Candidate c, BackendQueue q, long promptTokens) {
    BackendRates r = fleet.rates(c.backend().name());
    long tokens = q.queuedTokens() + promptTokens;
    double seconds = r == null ? 1 : tokens / r.prefillTps(promptTokens) + r.baseLatencyMs() / 1000.0;
    return Math.max(1, (long) Math.ceil(seconds));
  }

  public int queueLength(String backend) {
    BackendQueue q = queues.get(backend);
    return q == null ? 0 : q.length();
  }

  public Iterable<String> backends() {
    return queues.keySet();
  }
}
