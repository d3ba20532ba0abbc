package dev.tiergate.lifecycle;

import dev.tiergate.config.GroupConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import dev.tiergate.fleet.Fleet;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One exclusive group: which of its tiers is live, the swaps between them, and the requests that
 * wait for one. Every field is confined to the lifecycle's context; other threads reach it through
 * {@code context.runOnContext}. One swap runs at a time; triggers during a swap queue behind it.
 * A swap drains the live tier (no new work, in-flight requests finish or are cut after
 * {@code drainMs}), stops it and confirms it is gone, starts the target and waits for its own ready
 * signal, then releases the target's queue. A target that fails to start is marked failed with the
 * reason, its waiters are answered with it, the previous tier (or home) is brought back, and the
 * failed tier is not tried again before its backoff ends.
 */
final class GroupManager {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.lifecycle");
  private static final int HISTORY = 10;
  private static final long FIRST_BACKOFF_MS = 5_000;
  private static final long MAX_BACKOFF_MS = 300_000;
  private static final long RESTART_STABLE_MS = 60_000;

  enum Phase { LIVE, DRAINING, STOPPING, STARTING, FAILED, STOPPED }

  private final Vertx vertx;
  private final Context context;
  final GroupConfig group;
  private final Map<String, TierUnit> units;
  private final Fleet fleet;
  private final Drainer drainer;
  private final SwapObserver observer;
  private final boolean standalone;

  private String live;
  private Phase phase = Phase.STOPPED;
  private long phaseSince = System.nanoTime();
  private long liveSince;
  private boolean busy;
  private SwapRecord current;
  /** A swap an operator (or the idle timer) asked for, run when no request is waiting. */
  private String requested;
  private String requestedBy;
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
  private final ArrayDeque<SwapRecord> history = new ArrayDeque<>();
  private final Map<String, Failure> failures = new HashMap<>();
  private long guardTimer = -1;
  private long idleTimer = -1;
  private long restartBackoffMs = 1_000;
  private long lastRestart;
  private boolean shutDown;

  private record Failure(String reason, long retryAtNanos, long backoffMs) {}

  GroupManager(Vertx vertx, Context context, GroupConfig group, Map<String, TierUnit> units, Fleet fleet, Drainer drainer,
      SwapObserver observer, boolean standalone) {
    this.vertx = vertx;
    this.context = context;
    this.group = group;
    this.units = new LinkedHashMap<>(units);
    this.fleet = fleet;
    this.drainer = drainer;
    this.observer = observer;
    this.standalone = standalone;
    units.values().forEach(u -> u.control.onUnexpectedExit(() -> crashed(u)));
  }

  /** At gateway start: adopt a tier whose engine already answers, else bring up home. */
  Future<Void> start() {
    if (!standalone) {
      units.keySet().forEach(t -> fleet.live(t, false));
    }
    List<String> order = new ArrayList<>();
    order.add(group.home());
    units.keySet().stream().filter(t -> !t.equals(group.home())).forEach(order::add);
    List<Future<Boolean>> probes = order.stream().map(t -> units.get(t).answering()).toList();
    return Future.join(new ArrayList<>(probes)).<Void>transform(ar -> {
      List<String> answering = new ArrayList<>();
      for (int i = 0; i < order.size(); i++) {
        if (probes.get(i).succeeded() && probes.get(i).result()) {
          answering.add(order.get(i));
        }
      }
      if (!answering.isEmpty()) {
        String adopt = answering.get(0);
        if (answering.size() > 1) {
          LOG.log(System.Logger.Level.WARNING, "group {0}: tiers {1} all answer although they share the GPUs; adopting {2},"
              + " the others are not routed to", group.name(), answering, adopt);
        }
        LOG.log(System.Logger.Level.INFO, "group {0}: adopting tier {1}, whose engine is already running", group.name(), adopt);
        becameLive(adopt);
        return Future.<Void>succeededFuture();
      }
      requested = group.home();
      requestedBy = "start";
      kick();
      return Future.<Void>succeededFuture();
    }).onComplete(v -> armIdle());
  }

  // ---- requests waiting for a tier -------------------------------------------------------------

  /** Called on the lifecycle context: the waiter is answered when its tier is live, or with why not. */
  void enqueue(Waiter w) {
    if (shutDown) {
      w.fail(GatewayError.of(Kind.SHUTTING_DOWN, "the gateway is shutting down"));
      return;
    }
    if (w.tier.equals(live) && phase == Phase.LIVE) {
      w.ready(live, live);
      return;
    }
    Failure f = failures.get(w.tier);
    if (f != null && System.nanoTime() < f.retryAtNanos) {
      w.fail(failed(w.tier, f));
      return;
    }
    if (queue.size() >= group.maxQueue()) {
      w.fail(GatewayError.of(Kind.RATE_LIMITED, "group '" + group.name() + "' already has " + group.maxQueue()
          + " requests waiting for a swap (maxQueue); retry later").withRetryAfter(retryAfterSeconds(w.tier)));
      return;
    }
    queue.addLast(w);
    w.timer = vertx.setTimer(group.maxWaitMs(), id -> {
      if (queue.remove(w)) {
        w.fail(GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "tier '" + w.tier + "' did not become live within maxWaitMs ("
            + group.maxWaitMs() + " ms)" + swapping()).withRetryAfter(retryAfterSeconds(w.tier)));
      }
    });
    observer.queueLength(group.name(), queue.size());
    kick();
  }

  /** The client left: out of the queue at once. */
  void cancel(Waiter w) {
    if (queue.remove(w)) {
      vertx.cancelTimer(w.timer);
      observer.queueLength(group.name(), queue.size());
    }
  }

  private void release(String tier) {
    for (Iterator<Waiter> it = queue.iterator(); it.hasNext();) {
      Waiter w = it.next();
      if (w.tier.equals(tier)) {
        it.remove();
        vertx.cancelTimer(w.timer);
        observer.waited(tier, System.nanoTime() - w.since);
        w.ready(w.liveAtArrival, tier);
      }
    }
    observer.queueLength(group.name(), queue.size());
  }

  private void failWaiters(String tier, GatewayError e) {
    for (Iterator<Waiter> it = queue.iterator(); it.hasNext();) {
      Waiter w = it.next();
      if (w.tier.equals(tier)) {
        it.remove();
        vertx.cancelTimer(w.timer);
        w.fail(e);
      }
    }
    observer.queueLength(group.name(), queue.size());
  }

  // ---- operator actions --------------------------------------------------------------------------

  /** Swap to {@code tier} now (an operator asked); coalesces with a swap already running to it. */
  void activate(String tier, String by) {
    failures.remove(tier);
    requested = tier;
    requestedBy = by;
    kick();
  }

  /** Drain and stop the live tier, freeing the GPUs until the next request or activation. */
  Future<Void> stopAll(String by) {
    if (busy || live == null) {
      return Future.failedFuture(busy ? "a swap is running; try again when it ends" : "nothing is live");
    }
    busy = true;
    String from = live;
    SwapRecord rec = record(from, null, by);
    return drain(rec, from).compose(v -> stop(rec, from)).onComplete(ar -> {
      rec.finish(ar.succeeded() ? "ok" : "failed", ar.succeeded() ? null : ar.cause().getMessage());
      observer.swapped(group.name(), from, null, rec.outcome, rec.phases);
      if (ar.succeeded()) {
        live = null;
        phase(Phase.STOPPED);
      } else {
        becameLive(from);
      }
      busy = false;
      kick();
    }).mapEmpty();
  }

  // ---- swaps ---------------------------------------------------------------------------------------

  private void kick() {
    if (busy || shutDown) {
      return;
    }
    Waiter first = queue.peekFirst();
    String want = first != null ? first.tier : requested;
    String by = first != null ? "request" : requestedBy;
    if (want == null) {
      return;
    }
    if (want.equals(live) && phase == Phase.LIVE) {
      requested = null;
      release(want);
      kick();
      return;
    }
    Failure f = failures.get(want);
    if (first != null && f != null && System.nanoTime() < f.retryAtNanos) {
      failWaiters(want, failed(want, f));
      kick();
      return;
    }
    long guard = liveSince + group.minLiveMs() * 1_000_000L - System.nanoTime();
    if (first != null && live != null && phase == Phase.LIVE && guard > 0) {
      // The thrash guard: a tier that just went live keeps its turn; the waiters wait (within maxWaitMs).
      if (guardTimer < 0) {
        guardTimer = vertx.setTimer(Math.max(1, guard / 1_000_000), id -> {
          guardTimer = -1;
          kick();
        });
      }
      return;
    }
    requested = null;
    swap(want, by);
  }

  private void swap(String to, String by) {
    busy = true;
    String from = live;
    SwapRecord rec = record(from, to, by);
    LOG.log(System.Logger.Level.INFO, "group {0}: swap {1} -> {2} ({3})", group.name(), from == null ? "nothing" : from, to, by);
    Future<Void> gone = from == null ? Future.succeededFuture() : drain(rec, from).compose(v -> stop(rec, from));
    gone.onComplete(stopped -> {
      if (stopped.failed()) {
        String why = "could not stop tier '" + from + "': " + stopped.cause().getMessage();
        finishFailed(rec, to, why, false);
        becameLive(from); // it is still running: serve on it rather than on nothing
        busy = false;
        kick();
        return;
      }
      boot(rec, to).onComplete(booted -> {
        if (booted.succeeded()) {
          rec.finish("ok", null);
          observer.swapped(group.name(), from, to, "ok", rec.phases);
          LOG.log(System.Logger.Level.INFO, "group {0}: tier {1} live after {2} ms", group.name(), to,
              String.valueOf(rec.totalNanos() / 1_000_000));
          becameLive(to);
          busy = false;
          release(to);
          kick();
        } else {
          finishFailed(rec, to, booted.cause().getMessage(), true);
          restore(from, to);
        }
      });
    });
  }

  private void finishFailed(SwapRecord rec, String to, String why, boolean backoff) {
    rec.finish("failed", why);
    observer.swapped(group.name(), rec.from, to, "failed", rec.phases);
    LOG.log(System.Logger.Level.WARNING, "group {0}: swap to {1} failed: {2}", group.name(), to, why);
    Failure before = failures.get(to);
    long ms = !backoff ? 0 : before == null ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, before.backoffMs * 2);
    Failure f = new Failure(why, System.nanoTime() + ms * 1_000_000L, Math.max(ms, FIRST_BACKOFF_MS));
    failures.put(to, f);
    failWaiters(to, failed(to, f));
  }

  /** After a failed start: bring back what was live (or home), so the group serves something. */
  private void restore(String previous, String failed) {
    String back = previous != null ? previous : failed.equals(group.home()) ? null : group.home();
    if (back == null) {
      live = null;
      phase(Phase.FAILED);
      busy = false;
      kick();
      return;
    }
    SwapRecord rec = record(null, back, "restore after " + failed + " failed");
    boot(rec, back).onComplete(ar -> {
      if (ar.succeeded()) {
        rec.finish("ok", null);
        observer.swapped(group.name(), null, back, "ok", rec.phases);
        becameLive(back);
        release(back);
      } else {
        finishFailed(rec, back, ar.cause().getMessage(), true);
        live = null;
        phase(Phase.FAILED);
      }
      busy = false;
      kick();
    });
  }

  private SwapRecord record(String from, String to, String trigger) {
    SwapRecord rec = new SwapRecord(from, to, trigger);
    current = rec;
    history.addFirst(rec);
    while (history.size() > HISTORY) {
      history.removeLast();
    }
    return rec;
  }

  /** No new work for the tier; its requests finish, or are cut once {@code drainMs} is over. */
  private Future<Void> drain(SwapRecord rec, String tier) {
    rec.begin("drain");
    phase(Phase.DRAINING);
    fleet.live(tier, false);
    observer.tierLive(tier, false);
    Promise<Void> drained = Promise.promise();
    long deadline = System.nanoTime() + group.drainMs() * 1_000_000L;
    long[] cut = {0};
    long timer = vertx.setPeriodic(20, id -> {
      if (fleet.tierInflight(tier) == 0) {
        drained.tryComplete();
      } else if (System.nanoTime() > deadline && cut[0]++ == 0) {
        String why = "tier '" + tier + "' is being swapped out; the request was cut after the drain time of " + group.drainMs() + " ms";
        fleet.failOverWaiting(tier, why);
        drainer.cut(tier, why);
      } else if (cut[0] > 0 && System.nanoTime() > deadline + 5_000_000_000L) {
        drained.tryComplete(); // what is left is tearing down; the engine stops anyway
      }
    });
    return drained.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  /** Stops the tier and confirms it is gone: the process exited, or its port stopped answering. */
  private Future<Void> stop(SwapRecord rec, String tier) {
    rec.begin("stop");
    phase(Phase.STOPPING);
    TierUnit u = units.get(tier);
    return u.control.stop().compose(v -> u.control instanceof HttpControl ? Future.succeededFuture() : gone(u, 60));
  }

  private Future<Void> gone(TierUnit u, int triesLeft) {
    return u.anyAnswering().compose(up -> {
      if (!up) {
        return Future.succeededFuture();
      }
      if (triesLeft <= 0) {
        return Future.failedFuture("its engine still answers after the stop");
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(500, id -> gone(u, triesLeft - 1).onComplete(later));
      return later.future();
    });
  }

  private Future<Void> boot(SwapRecord rec, String tier) {
    rec.begin("boot");
    phase(Phase.STARTING);
    TierUnit u = units.get(tier);
    return u.boot().recover(t -> u.control.stop().transform(v -> Future.failedFuture(t)));
  }

  private void becameLive(String tier) {
    live = tier;
    liveSince = System.nanoTime();
    phase(Phase.LIVE);
    restartBackoffMs = 1_000;
    for (String t : units.keySet()) {
      fleet.live(t, t.equals(tier));
      observer.tierLive(t, t.equals(tier));
    }
  }

  private void phase(Phase p) {
    phase = p;
    phaseSince = System.nanoTime();
  }

  // ---- supervision and idle --------------------------------------------------------------------------

  /** An owned engine died on its own while live: reported down, restarted with backoff. */
  private void crashed(TierUnit u) {
    if (shutDown || busy || !u.name().equals(live)) {
      return;
    }
    String why = "the engine " + u.control.exited() + "; restarting in " + restartBackoffMs + " ms";
    LOG.log(System.Logger.Level.WARNING, "tier {0}: {1}", u.name(), why);
    u.down(why);
    if (System.nanoTime() - lastRestart > RESTART_STABLE_MS * 1_000_000L) {
      restartBackoffMs = 1_000;
    }
    long delay = restartBackoffMs;
    restartBackoffMs = Math.min(MAX_BACKOFF_MS, restartBackoffMs * 2);
    vertx.setTimer(delay, id -> {
      if (shutDown || busy || !u.name().equals(live)) {
        return;
      }
      lastRestart = System.nanoTime();
      busy = true;
      u.boot().onComplete(ar -> {
        busy = false;
        if (ar.failed()) {
          u.down("restart failed: " + ar.cause().getMessage());
          crashed(u);
        } else {
          LOG.log(System.Logger.Level.INFO, "tier {0}: restarted", u.name());
        }
        kick();
      });
    });
  }

  private void armIdle() {
    if (group.idleMs() <= 0 || standalone) {
      return;
    }
    idleTimer = vertx.setPeriodic(Math.max(100, Math.min(1_000, group.idleMs() / 4)), id -> {
      if (busy || live == null || phase != Phase.LIVE || live.equals(group.home()) || !queue.isEmpty() || requested != null) {
        return;
      }
      long idle = System.nanoTime() - Math.max(fleet.tierLastUsed(live), liveSince);
      if (fleet.tierInflight(live) == 0 && idle >= group.idleMs() * 1_000_000L) {
        activate(group.home(), "idle for " + group.idleMs() + " ms");
      }
    });
  }

  void shutdown() {
    shutDown = true;
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
    }
    for (Waiter w : new ArrayList<>(queue)) {
      cancel(w);
      w.fail(GatewayError.of(Kind.SHUTTING_DOWN, "the gateway is shutting down"));
    }
  }

  // ---- what clients and status see -------------------------------------------------------------

  private GatewayError failed(String tier, Failure f) {
    long retry = Math.max(1, (f.retryAtNanos - System.nanoTime() + 999_999_999L) / 1_000_000_000L);
    return GatewayError.of(Kind.NO_BACKEND_AVAILABLE, "tier '" + tier + "' failed to start: " + f.reason)
        .withRetryAfter(retry);
  }

  private String swapping() {
    return busy && current != null && current.to != null ? "; a swap to '" + current.to + "' is in phase " + current.phase() : "";
  }

  /** Seconds until a swap to {@code tier} is likely done, from the last swaps' measured durations. */
  long retryAfterSeconds(String tier) {
    List<Long> took = new ArrayList<>();
    for (SwapRecord r : history) {
      if ("ok".equals(r.outcome) && r.to != null) {
        took.add(r.totalNanos());
      }
    }
    long typical = took.isEmpty() ? 60_000_000_000L : took.stream().sorted().toList().get(took.size() / 2);
    long elapsed = busy && current != null && tier.equals(current.to) ? current.totalNanos() : 0;
    return Math.max(1, (typical - elapsed + 999_999_999L) / 1_000_000_000L);
  }

  int queueLength() {
    return queue.size();
  }

  String live() {
    return live;
  }

  JsonObject status() {
    JsonArray swaps = new JsonArray();
    history.forEach(r -> swaps.add(r.json()));
    JsonArray tiers = new JsonArray();
    for (TierUnit u : units.values()) {
      String state = u.name().equals(live) ? phase.name().toLowerCase()
          : busy && current != null && u.name().equals(current.to) ? "starting" : "stopped";
      JsonObject t = new JsonObject().put("name", u.name()).put("mode", u.config.lifecycle().mode()).put("state", state)
          .put("log", new JsonArray(u.control.logTail(20)));
      if (u.control instanceof OwnedProcess p && p.pid() > 0) {
        t.put("pid", p.pid());
      }
      Failure f = failures.get(u.name());
      if (f != null) {
        t.put("failed", new JsonObject().put("reason", f.reason)
            .put("retryInMs", Math.max(0, (f.retryAtNanos - System.nanoTime()) / 1_000_000)));
      }
      tiers.add(t);
    }
    return new JsonObject().put("name", group.name()).put("home", group.home()).put("live", live)
        .put("state", phase.name().toLowerCase())
        .put("since", Instant.now().minusMillis((System.nanoTime() - phaseSince) / 1_000_000).toString())
        .put("forMs", (System.nanoTime() - phaseSince) / 1_000_000)
        .put("swapping", busy && current != null ? current.json() : null)
        .put("queue", queue.size()).put("swap", group.swap().id()).put("whenNotLive", group.whenNotLive().id())
        .put("tiers", tiers).put("lastSwaps", swaps);
  }

  Context context() {
    return context;
  }
}
