package dev.tiergate.fleet;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.TierPolicy;
import dev.tiergate.routing.BackendLoad;
import dev.tiergate.routing.BackendRates;
import dev.tiergate.upstream.EngineLoad;
import dev.tiergate.upstream.Adapters;
import dev.tiergate.upstream.Admission;
import dev.tiergate.upstream.LiveAttempt;
import dev.tiergate.upstream.Support;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Live state of one backend, shared by all event loops; every field is safe to read anywhere. */
public final class BackendState {
  /** What the probes last saw. UNKNOWN is routable: we have not been told otherwise yet. */
  public enum Health { UNKNOWN, READY, LOADING, DOWN }

  private final String tier;
  private final BackendConfig config;
  /**
   * What routing asks of every backend per decision, worked out once from the config it never changes with: the
   * configured window (empty when discovered) and which APIs it serves, by {@link Api} ordinal.
   */
  private final OptionalInt configuredWindow;
  private final boolean[] serves;
  private final AtomicInteger inflight = new AtomicInteger();
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private volatile Health health = Health.UNKNOWN;
  /** 0 while the circuit is closed; otherwise open until then, half-open after. */
  private volatile long circuitOpenUntil;
  /** A half-open circuit lets one request through at a time; its outcome closes or reopens it. */
  private final AtomicBoolean trialInFlight = new AtomicBoolean();
  private volatile String lastError;
  /**
   * Attempts in flight, watched for a backend that accepts requests but stopped answering them;
   * each with whether it has produced output yet (its move to decoding is counted once).
   */
  private final Map<LiveAttempt, AtomicBoolean> attempts = new ConcurrentHashMap<>();
  /** The outstanding work, kept as counts so the predictor reads it in O(1) however many streams run. */
  private final AtomicLong queuedPrefillTokens = new AtomicLong();
  private final AtomicInteger waitingCount = new AtomicInteger();
  private final AtomicInteger decodingCount = new AtomicInteger();
  private final AtomicInteger interactiveCount = new AtomicInteger();
  private final AtomicInteger interactiveWaitingCount = new AtomicInteger();
  /** When the backend last proved it serves: a first output or a whole answer. */
  private volatile long lastProgressNanos = System.nanoTime();
  /** The engine answered some request with an error of its own: check it with a known-good request. */
  private volatile boolean suspect;
  /** Why a known-good request failed; while set, only such a request can bring the backend back. */
  private volatile String deepFailure;
  /**
   * False while the tier is not the live one of its group (stopped, starting, draining): such a
   * backend is neither routed to nor probed; the lifecycle owns its state meanwhile.
   */
  private volatile boolean live = true;
  /** A config reload removed or replaced the backend: no new attempt starts here, from any generation. */
  private volatile boolean retired;
  /** When a request last started or ended here: a live tier idle long enough goes back home. */
  private volatile long lastUsedNanos = System.nanoTime();
  final Discovery discovery;
  final LearnedRates rates;
  /** The engine's own load report, scraped each probe interval; null until one arrives. */
  private volatile EngineLoad engineLoad;

  BackendState(String tier, BackendConfig config, TierPolicy.Profile profile) {
    this.tier = tier;
    this.config = config;
    this.configuredWindow = config.contextWindow() == null ? OptionalInt.empty() : OptionalInt.of(config.contextWindow());
    this.serves = new boolean[Api.values().length];
    for (Api api : Api.values()) {
      serves[api.ordinal()] = Adapters.support(config, api) != Support.NONE;
    }
    this.discovery = new Discovery(config);
    this.rates = new LearnedRates(profile);
  }

  public String tier() {
    return tier;
  }

  public BackendConfig config() {
    return config;
  }

  public int inflight() {
    return inflight.get();
  }

  public Health health() {
    return health;
  }

  public String lastError() {
    return lastError;
  }

  public Integer discoveredWindow() {
    OptionalInt w = discovery.window();
    return w.isPresent() ? w.getAsInt() : null;
  }

  /** The usable context window: configured, else discovered, else unknown. */
  public OptionalInt window() {
    return configuredWindow.isPresent() ? configuredWindow : discovery.window();
  }

  /** Whether the backend can serve the API at all, natively or translated. */
  public boolean serves(Api api) {
    return serves[api.ordinal()];
  }

  /** Where the window comes from: {@code config}, {@code discovered}, {@code pending} or {@code failed: …}. */
  public String windowSource() {
    return config.contextWindow() != null ? "config" : discovery.windowSource();
  }

  /** Where the served name comes from: {@code config}, {@code discovered}, {@code pending} or {@code failed: …}. */
  public String modelSource() {
    return config.model() != null ? "config" : discovery.modelSource();
  }

  public boolean circuitOpen(long now) {
    return now < circuitOpenUntil;
  }

  /** {@code closed}, {@code open}, or {@code half-open} (cool-down over, one trial request allowed). */
  public String circuit(long now) {
    long until = circuitOpenUntil;
    return until == 0 ? "closed" : now < until ? "open" : "half-open";
  }

  /** The circuit lets a new request through: closed, or half-open with no trial in flight. */
  public boolean circuitAdmits(long now) {
    long until = circuitOpenUntil;
    return until == 0 || now >= until && !trialInFlight.get();
  }

  /** The clock is read only when the circuit is not closed: routing asks this of every backend per decision. */
  boolean routable(LongSupplier clock) {
    if (!live) {
      return false;
    }
    Health h = health;
    // Without a served name we would pass the client's through, which vLLM and SGLang answer 404.
    return h != Health.DOWN && h != Health.LOADING && effectiveModel() != null
        && (circuitOpenUntil == 0 || circuitAdmits(clock.getAsLong())) && !full();
  }

  /** At its configured concurrency limit; routing skips it until a request finishes. */
  public boolean full() {
    Integer max = config.maxInflight();
    return max != null && inflight.get() >= max;
  }

  /** The gateway's own outstanding work here, plus what the engine last reported. */
  public BackendLoad load() {
    EngineLoad e = engineLoad;
    // Each count is exact; read together they may straddle one attempt's move, never for long.
    return new BackendLoad(Math.max(0, queuedPrefillTokens.get()), Math.max(0, waitingCount.get()),
        Math.max(0, decodingCount.get()), Math.max(0, interactiveCount.get()), e == null ? -1 : e.running(),
        e == null ? -1 : e.waiting(), Math.max(0, interactiveWaitingCount.get()));
  }

  public BackendRates rates() {
    return rates;
  }

  void engineLoad(EngineLoad e) {
    engineLoad = e;
  }

  public EngineLoad engineLoad() {
    return engineLoad;
  }

  /** Admits an attempt and counts it in flight; a half-open circuit admits one trial at a time. */
  Admission start(long now, LiveAttempt attempt) {
    if (retired) {
      return Admission.RETIRED;
    }
    long until = circuitOpenUntil;
    Admission a = until == 0 || now < until ? Admission.ADMITTED
        : trialInFlight.compareAndSet(false, true) ? Admission.TRIAL : Admission.REFUSED;
    if (a == Admission.TRIAL && now < circuitOpenUntil) {
      // A failed trial reopened the circuit between our read and the CAS: not a trial after all.
      trialInFlight.set(false);
      a = Admission.REFUSED;
    }
    if (!a.refused()) {
      lastUsedNanos = now;
      inflight.incrementAndGet();
      if (attempt != null) {
        attempt.admitted(Math.max(0, queuedPrefillTokens.get()), Math.max(0, decodingCount.get()));
        attempts.put(attempt, new AtomicBoolean());
        waitingCount.incrementAndGet();
        queuedPrefillTokens.addAndGet(attempt.promptTokens());
        if (attempt.interactive()) {
          interactiveWaitingCount.incrementAndGet();
        }
      }
    }
    return a;
  }

  /** The trial is over (after its outcome was recorded), so the next request may be one. */
  void endTrial() {
    trialInFlight.set(false);
  }

  void finished(LiveAttempt attempt) {
    lastUsedNanos = System.nanoTime();
    inflight.decrementAndGet();
    if (attempt != null) {
      AtomicBoolean decoding = attempts.remove(attempt);
      if (decoding != null) {
        if (decoding.getAndSet(true)) {
          decodingCount.decrementAndGet();
          if (attempt.interactive()) {
            interactiveCount.decrementAndGet();
          }
        } else {
          waitingCount.decrementAndGet();
          queuedPrefillTokens.addAndGet(-attempt.promptTokens());
          if (attempt.interactive()) {
            interactiveWaitingCount.decrementAndGet();
          }
        }
      }
    }
  }

  /** The attempt produced its first output: from waiting on prefill to decoding. */
  void outputStarted(LiveAttempt attempt) {
    AtomicBoolean decoding = attempts.get(attempt);
    if (decoding != null && decoding.compareAndSet(false, true)) {
      waitingCount.decrementAndGet();
      queuedPrefillTokens.addAndGet(-attempt.promptTokens());
      decodingCount.incrementAndGet();
      if (attempt.interactive()) {
        interactiveWaitingCount.decrementAndGet();
        interactiveCount.incrementAndGet();
      }
    }
  }

  void progressed(long now) {
    lastProgressNanos = now;
  }

  /**
   * Requests have waited {@code stallNanos} for a first output while nothing at all came from the
   * backend in that time: either it is wedged, or it is busy with work that shows no progress
   * (a long prefill, every slot taken). Only a known-good request can tell the two apart.
   */
  boolean stalled(long now, long stallNanos) {
    stallNanos = Math.max(stallNanos, expectedPrefillNanos());
    long oldestWaiting = Long.MAX_VALUE;
    long lastActivity = lastProgressNanos;
    for (LiveAttempt a : attempts.keySet()) {
      lastActivity = Math.max(lastActivity, a.lastActivityNanos());
      if (!a.hasOutput()) {
        oldestWaiting = Math.min(oldestWaiting, a.startedNanos());
      }
    }
    return oldestWaiting != Long.MAX_VALUE && now - oldestWaiting >= stallNanos && now - lastActivity >= stallNanos;
  }

  /**
   * How long the prefill waiting here should take at the learned rate, with room for error: an
   * engine busy with a 60k-token prompt shows nothing for that long and is not wedged for it.
   */
  long expectedPrefillNanos() {
    long queued = queuedPrefillTokens.get();
    int waiting = waitingCount.get();
    if (queued <= 0 || waiting <= 0) {
      return 0;
    }
    double tps = rates.prefillTps(queued / waiting);
    return tps > 0 ? (long) (queued / tps * 1.5e9) : 0;
  }

  /**
   * Prompts are waiting here, none for longer than their prefill should take: a deep probe would
   * only queue behind them and time out, saying nothing about the engine.
   */
  boolean prefillingAsExpected(long now) {
    long expected = expectedPrefillNanos();
    if (expected <= 0) {
      return false;
    }
    for (LiveAttempt a : attempts.keySet()) {
      if (!a.hasOutput() && now - a.startedNanos() > expected) {
        return false;
      }
    }
    return true;
  }

  /** Whether any attempt showed activity since {@code sinceNanos}: a busy engine, not a wedged one. */
  boolean activeSince(long sinceNanos) {
    if (lastProgressNanos >= sinceNanos) {
      return true;
    }
    for (LiveAttempt a : attempts.keySet()) {
      if (a.lastActivityNanos() >= sinceNanos) {
        return true;
      }
    }
    return false;
  }

  /** Moves every attempt still waiting for its first output to the next candidate. */
  int failOverWaiting(String why) {
    int n = 0;
    for (LiveAttempt a : attempts.keySet()) {
      if (!a.hasOutput()) {
        a.stalled(why);
        n++;
      }
    }
    return n;
  }

  public boolean live() {
    return live;
  }

  void live(boolean l) {
    live = l;
  }

  /** Removed or replaced by a config reload: out of routing, and refuses every new attempt. */
  void retire() {
    live = false;
    retired = true;
  }

  public long lastUsedNanos() {
    return lastUsedNanos;
  }

  void suspect(boolean s) {
    suspect = s;
  }

  boolean suspect() {
    return suspect;
  }

  String deepFailure() {
    return deepFailure;
  }

  void deepFailure(String why) {
    deepFailure = why;
  }

  /** Counts a failure; opens the circuit when the threshold is reached. */
  void failed(String why, long now, int threshold, long cooldownNanos) {
    // While a failed deep probe holds the backend out, its reason is the one an operator needs; the
    // requests it moved on fail with a bare "timeout" that would otherwise hide it.
    String deep = deepFailure;
    lastError = deep != null ? deep : why;
    if (consecutiveFailures.incrementAndGet() >= threshold) {
      circuitOpenUntil = now + cooldownNanos;
    }
  }

  /** Returns whether the circuit was not closed before (so the caller can say it closed). */
  boolean succeeded() {
    consecutiveFailures.set(0);
    lastError = null; // it served a request since: an old error would only mislead
    return closeCircuit();
  }

  /** A trial produced output: traffic may flow again; the failure count waits for a good end. */
  boolean closeCircuit() {
    boolean wasOpen = circuitOpenUntil != 0;
    circuitOpenUntil = 0;
    if (wasOpen) {
      lastError = null;
    }
    return wasOpen;
  }

  void health(Health h, String error) {
    Health before = health;
    health = h;
    if (error != null) {
      lastError = error;
    } else if (h == Health.READY && before != Health.READY && circuitOpenUntil == 0) {
      lastError = null; // recovered: an old error would only mislead
    }
  }

  /** The model names the engine reported on its last discovery (empty until then). */
  public List<String> servedModels() {
    return discovery.models();
  }

  /** The name to send upstream: the configured one, else the first the engine reported, else null. */
  public String effectiveModel() {
    if (config.model() != null) {
      return config.model();
    }
    List<String> m = discovery.models();
    return m.isEmpty() ? null : m.get(0);
  }

  public int consecutiveFailures() {
    return consecutiveFailures.get();
  }
}
