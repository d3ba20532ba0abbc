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
  /** Each tier's engine: stopped, starting, awake, sleeping, asleep, waking, stopping. */
  private final Map<String, String> engine = new HashMap<>();
  /** Why the last warm swap of a tier fell back to cold, for status. */
  private final Map<String, String> lastWarmFallback = new HashMap<>();
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

  /**
   * At gateway start: adopt a tier whose engine already answers (awake), else bring up home. Warm
   * tiers are prepared first, one after another — started, their canary recorded, put to sleep —
   * so each engine sizes its memory with the others asleep; an engine found asleep is adopted asleep.
   */
  Future<Void> start() {
    if (!standalone) {
      units.keySet().forEach(t -> fleet.live(t, false));
    }
    units.keySet().forEach(t -> engine.put(t, "stopped"));
    List<String> order = new ArrayList<>();
    order.add(group.home());
    units.keySet().stream().filter(t -> !t.equals(group.home())).forEach(order::add);
    List<Future<String>> probes = order.stream().map(t -> state(units.get(t))).toList();
    return Future.join(new ArrayList<>(probes)).<Void>transform(ar -> {
      List<String> awake = new ArrayList<>();
      for (int i = 0; i < order.size(); i++) {
        String st = probes.get(i).succeeded() ? probes.get(i).result() : "stopped";
        engine.put(order.get(i), st);
        if (st.equals("awake")) {
          awake.add(order.get(i));
        }
      }
      String adopt = awake.isEmpty() ? null : awake.get(0);
      if (adopt != null) {
        LOG.log(System.Logger.Level.INFO, "group {0}: adopting tier {1}, whose engine is already running", group.name(), adopt);
      }
      boolean prepare = units.values().stream().anyMatch(u -> u.warm != null && !engine.get(u.name()).equals("asleep")
          && !u.name().equals(adopt) || u.warm != null && u.name().equals(adopt) && awake.size() > 1);
      if (!prepare) {
        if (awake.size() > 1) {
          LOG.log(System.Logger.Level.WARNING, "group {0}: tiers {1} all answer although they share the GPUs; adopting {2},"
              + " the others are not routed to", group.name(), awake, adopt);
        }
        if (adopt != null) {
          becameLive(adopt);
        } else {
          requested = group.home();
          requestedBy = "start";
          kick();
        }
        return Future.<Void>succeededFuture();
      }
      prepareWarm(adopt);
      return Future.<Void>succeededFuture();
    }).onComplete(v -> armIdle());
  }

  /** awake, asleep or stopped, as far as a probe (and a warm engine's own word) can tell. */
  private Future<String> state(TierUnit u) {
    return u.answering().compose(up -> !up ? Future.succeededFuture("stopped") : u.warm == null ? Future.succeededFuture("awake")
        : u.warm.sleeping().map(asleep -> asleep ? "asleep" : "awake").otherwise("awake"));
  }

  /**
   * Every warm engine asleep, each started one after another if it is not running, then the tier
   * to serve woken: the one adopted awake, else home.
   */
  private void prepareWarm(String adopt) {
    busy = true;
    String target = adopt != null ? adopt : group.home();
    SwapRecord rec = record(null, target, "start (warm engines prepared one by one)");
    List<TierUnit> warm = units.values().stream().filter(u -> u.warm != null).toList();
    Future<Void> chain = Future.succeededFuture();
    for (TierUnit u : warm) {
      if (engine.get(u.name()).equals("awake")) {
        chain = chain.compose(v -> reference(u)).compose(v -> sleep(rec, u.name()));
      }
    }
    List<TierUnit> stopped = new ArrayList<>(warm.stream().filter(u -> engine.get(u.name()).equals("stopped")).toList());
    stopped.sort((a, b) -> Boolean.compare(a.name().equals(target), b.name().equals(target)));
    for (TierUnit u : stopped) {
      // The target boots last, with every other engine asleep, and stays awake.
      boolean target0 = u.name().equals(target);
      chain = chain.compose(v -> boot(rec, u.name())).compose(v -> reference(u))
          .compose(v -> target0 ? Future.succeededFuture() : sleep(rec, u.name()));
    }
    chain.compose(v -> bringUp(rec, target)).onComplete(ar -> {
      if (ar.succeeded()) {
        rec.finish("ok", null);
        observer.swapped(group.name(), null, target, "ok", rec.mode, rec.phases);
        becameLive(target);
        release(target);
      } else {
        finishFailed(rec, target, ar.cause().getMessage(), true);
        live = null;
        phase(Phase.FAILED);
      }
      busy = false;
      kick();
    });
  }

  private Future<Void> reference(TierUnit u) {
    return u.warm.recordReference().recover(t -> {
      LOG.log(System.Logger.Level.WARNING, "tier {0}: could not record the canary: {1}", u.name(), t.getMessage());
      return Future.succeededFuture();
    });
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
      observer.swapped(group.name(), from, null, rec.outcome, rec.mode, rec.phases);
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
    Future<Void> gone = from == null ? Future.succeededFuture() : drain(rec, from).compose(clean -> putAway(rec, from, clean));
    gone.onComplete(stopped -> {
      if (stopped.failed()) {
        String why = "could not stop tier '" + from + "': " + stopped.cause().getMessage();
        finishFailed(rec, to, why, false);
        becameLive(from); // it is still running: serve on it rather than on nothing
        busy = false;
        kick();
        return;
      }
      bringUp(rec, to).onComplete(booted -> {
        if (booted.succeeded()) {
          rec.finish("ok", null);
          observer.swapped(group.name(), from, to, "ok", rec.mode, rec.phases);
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
    observer.swapped(group.name(), rec.from, to, "failed", rec.mode, rec.phases);
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
    bringUp(rec, back).onComplete(ar -> {
      // The failed tier's backoff counts from now: while the group restored, nobody could retry it anyway.
      failures.computeIfPresent(failed, (t, f) -> new Failure(f.reason, System.nanoTime() + f.backoffMs * 1_000_000L, f.backoffMs));
      if (ar.succeeded()) {
        rec.finish("ok", null);
        observer.swapped(group.name(), null, back, "ok", rec.mode, rec.phases);
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

  /**
   * No new work for the tier; its requests finish, or are cut once {@code drainMs} is over (a warm
   * tier whose {@code drain} is {@code wait} is never cut). Completes with whether nothing is left in
   * flight: an engine is never put to sleep with requests in it (that has crashed engines).
   */
  private Future<Boolean> drain(SwapRecord rec, String tier) {
    rec.begin("drain");
    phase(Phase.DRAINING);
    fleet.live(tier, false);
    observer.tierLive(tier, false);
    TierUnit u = units.get(tier);
    boolean mayCut = u.warm == null || !"wait".equals(u.config.lifecycle().warm().drain());
    Promise<Boolean> drained = Promise.promise();
    long deadline = System.nanoTime() + group.drainMs() * 1_000_000L;
    long[] cut = {0};
    long timer = vertx.setPeriodic(20, id -> {
      if (fleet.tierInflight(tier) == 0) {
        drained.tryComplete(true);
      } else if (mayCut && System.nanoTime() > deadline && cut[0]++ == 0) {
        String why = "tier '" + tier + "' is being swapped out; the request was cut after the drain time of " + group.drainMs() + " ms";
        fleet.failOverWaiting(tier, why);
        drainer.cut(tier, why);
      } else if (cut[0] > 0 && System.nanoTime() > deadline + 30_000_000_000L) {
        drained.tryComplete(false); // still tearing down: it will be stopped, never put to sleep like this
      }
    });
    return drained.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  /** A drained tier leaves the GPUs: asleep when it is warm and drained clean, else stopped. */
  private Future<Void> putAway(SwapRecord rec, String tier, boolean clean) {
    TierUnit u = units.get(tier);
    if (u.warm == null || !clean || !engine.get(tier).equals("awake")) {
      return stop(rec, tier);
    }
    return sleep(rec, tier).recover(t -> {
      warmFallback(tier, "sleep_failed", t.getMessage());
      return stop(rec, tier);
    });
  }

  private Future<Void> sleep(SwapRecord rec, String tier) {
    rec.begin("sleep");
    phase(Phase.STOPPING);
    engine.put(tier, "sleeping");
    return units.get(tier).warm.sleep().onComplete(ar -> engine.put(tier, ar.succeeded() ? "asleep" : "awake"));
  }

  /**
   * The target onto the GPUs: woken when it sleeps (trusted only after its canary), else started
   * cold. A wake that fails, times out or fails its canary kills the engine and starts it cold.
   */
  private Future<Void> bringUp(SwapRecord rec, String tier) {
    TierUnit u = units.get(tier);
    if (u.warm != null && engine.get(tier).equals("awake")) {
      return Future.succeededFuture(); // prepared at start and left awake
    }
    if (u.warm == null || !engine.get(tier).equals("asleep")) {
      return boot(rec, tier).compose(v -> u.warm != null && !u.warm.hasReference() ? reference(u) : Future.succeededFuture());
    }
    rec.begin("wake");
    phase(Phase.STARTING);
    engine.put(tier, "waking");
    Future<Void> woken = u.warm.wake().compose(v -> {
      rec.begin("canary");
      return u.warm.hasReference() ? u.warm.checkCanary() : reference(u);
    }).compose(v -> u.discover());
    return woken.map(v -> {
      engine.put(tier, "awake");
      rec.mode = "warm";
      return (Void) null;
    }).recover(t -> {
      String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
      String reason = t instanceof WarmEngine.CanaryMismatch ? "canary_mismatch"
          : m.contains("within") || m.contains("timeout") || m.contains("timed out") ? "wake_timeout" : "wake_failed";
      warmFallback(tier, reason, t.getMessage());
      return u.control.stop().compose(v -> {
        engine.put(tier, "stopped");
        return boot(rec, tier);
      }).compose(v -> reference(u));
    });
  }

  private void warmFallback(String tier, String reason, String detail) {
    LOG.log(System.Logger.Level.WARNING, "tier {0}: {1} ({2}); falling back to a cold stop and start", tier, reason, detail);
    observer.warmFallback(tier, reason);
    lastWarmFallback.put(tier, reason + ": " + detail);
  }

  /** Stops the tier and confirms it is gone: the process exited, or its port stopped answering. */
  private Future<Void> stop(SwapRecord rec, String tier) {
    rec.begin("stop");
    phase(Phase.STOPPING);
    engine.put(tier, "stopping");
    TierUnit u = units.get(tier);
    return u.control.stop().compose(v -> u.control instanceof HttpControl ? Future.succeededFuture() : gone(u, 60))
        .onComplete(ar -> engine.put(tier, ar.succeeded() ? "stopped" : "awake"));
  }

  private Future<Void> gone(TierUnit u, int triesLeft) {
    return u.anyAnswering().compose(up -> {
      if (!up) {
        return Future.succeededFuture();
      }
      if (triesLeft <= 0) {
        return Future.failedFuture(u.control instanceof OwnedProcess p && p.pid() < 0
            ? "its engine was already running when tiergate started (adopted), so tiergate has no process to stop;"
                + " stop it by hand once and tiergate starts and stops it from then on"
            : "its engine still answers after the stop");
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(500, id -> gone(u, triesLeft - 1).onComplete(later));
      return later.future();
    });
  }

  private Future<Void> boot(SwapRecord rec, String tier) {
    rec.begin("boot");
    phase(Phase.STARTING);
    engine.put(tier, "starting");
    TierUnit u = units.get(tier);
    return u.boot().onSuccess(v -> engine.put(tier, "awake"))
        .recover(t -> u.control.stop().transform(v -> {
          engine.put(tier, "stopped");
          return Future.failedFuture(t);
        }));
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
    if (!u.name().equals(live)) {
      engine.put(u.name(), "stopped"); // a sleeping engine died: the next swap to it starts it cold
      return;
    }
    if (shutDown || busy) {
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
          .put("engine", engine.getOrDefault(u.name(), "stopped")).put("lastWarmFallback", lastWarmFallback.get(u.name()))
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
