package dev.tiergate.admission;

import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.config.BackendConfig;
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

/**
 * Admission control: a long prompt does not start on a backend where interactive streams are
 * decoding, since its prefill would starve them (on the seed rig a long prefill dropped live decodes
 * to under 1 token/s). It goes to another candidate that can take it now, or waits, bounded, in
 * that backend's queue until its interactive streams are done or another of its candidates can take
 * it, whichever comes first. Only tiers with
 * {@code tiers[].admission} are held; the rest pass straight through.
 */
public final class Admissions {
  private final TierRouter router;
  private final Fleet fleet;
  private final Map<String, BackendQueue> queues = new LinkedHashMap<>();

  public Admissions(Vertx vertx, GatewayConfig config, Fleet fleet, TierRouter router) {
    this.router = router;
    this.fleet = fleet;
    for (TierConfig t : config.tiers()) {
      if (t.admission() == null) {
        continue;
      }
      for (BackendConfig b : t.backends()) {
        queues.put(b.name(), new BackendQueue(vertx, b.name(), t.admission(),
            () -> !router.gated(t.name(), Long.MAX_VALUE, fleet.load(b.name())), this::elsewhere));
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
    if (c.isEmpty() || !held(c.get(0), promptTokens)) {
      return new Ticket(Future.succeededFuture(new Admitted(d, 0)), () -> { });
    }
    for (int i = 1; i < c.size(); i++) {
      if (!held(c.get(i), promptTokens)) {
        return new Ticket(Future.succeededFuture(new Admitted(first(d, i), 0)), () -> { });
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

  /** The decision with candidate {@code i} first and the others after it in their order. */
  private static RouteDecision first(RouteDecision d, int i) {
    List<Candidate> c = d.candidates();
    List<Candidate> order = new ArrayList<>(c.size());
    order.add(c.get(i));
    for (int j = 0; j < c.size(); j++) {
      if (j != i) {
        order.add(c.get(j));
      }
    }
    return new RouteDecision(d.tier(), d.reason(), List.copyOf(order), d.skipped(), d.swapTo());
  }

  /**
   * For a prompt held on its first candidate: another candidate that can start it now (not held
   * there, and no prompt already waiting for that backend ahead of it), or -1.
   */
  private int elsewhere(Waiter w) {
    List<Candidate> c = w.candidates;
    for (int i = 1; i < c.size(); i++) {
      BackendQueue other = queues.get(c.get(i).backend().name());
      if ((other == null || other.length() == 0) && !held(c.get(i), w.promptTokens)) {
        return i;
      }
    }
    return -1;
  }

  private boolean held(Candidate c, long promptTokens) {
    return queues.containsKey(c.backend().name()) && router.gated(c.tier(), promptTokens, fleet.load(c.backend().name()));
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
