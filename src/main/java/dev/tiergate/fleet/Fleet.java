package dev.tiergate.fleet;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.HealthConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.routing.BackendLoad;
import dev.tiergate.routing.BackendRates;
import dev.tiergate.routing.FleetView;
import dev.tiergate.routing.TextMix;
import dev.tiergate.routing.TokenRatios;
import dev.tiergate.upstream.AttemptResult;
import dev.tiergate.upstream.Admission;
import dev.tiergate.upstream.BackendTracker;
import dev.tiergate.upstream.LiveAttempt;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.LongSupplier;

/**
 * Live state of every configured backend: in-flight counts, probe health, the passive circuit,
 * discovered context windows. Routing reads it through {@link FleetView}; upstream calls report
 * into it through {@link BackendTracker}.
 */
public final class Fleet implements FleetView, BackendTracker {
  /** State changes only, never per request: operators need to see a tier go down and come back. */
  private static final System.Logger LOG = System.getLogger("dev.tiergate.fleet");

  private final Map<String, BackendState> backends = new LinkedHashMap<>();
  /** Each tier's first backend, which says whether the tier is live: routing asks per tier per decision. */
  private final Map<String, BackendState> firstOfTier = new HashMap<>();
  private final HealthConfig health;
  private final LongSupplier clock;
  /** Tokens per character each backend's engine has shown, learned from its usage (the configured ratio until then). */
  private final Map<String, TokenRatios> ratios = new LinkedHashMap<>();
  private final double charsPerToken;
  private final boolean learnEstimate;
  /** The backends' ratios pooled; made again after a backend learned something. */
  private volatile TokenRatios pooled;

  public Fleet(GatewayConfig config) {
    this(config, System::nanoTime);
  }

  public Fleet(GatewayConfig config, LongSupplier nanoClock) {
    this(config, nanoClock, true);
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        ratios.put(b.name(), new TokenRatios(charsPerToken));
      }
    }
    for (TierConfig t : config.tiers()) {
      // A tier of an exclusive group is live only once the lifecycle says so.
      boolean grouped = config.groupOf(t.name()).isPresent();
      for (BackendConfig b : t.backends()) {
        BackendState s = new BackendState(t.name(), b, t.profile());
        s.live(!grouped);
        add(s);
      }
    }
  }

  /**
   * The fleet of a reloaded config. A backend whose tier and entry are unchanged keeps its state
   * (in-flight requests, circuit, probes' verdict, learned rates), shared with this fleet, so the
   * requests that started before the reload and those after count in one place. A new or changed
   * backend starts down: it is routed only once a probe found it ready.
   */
  public Fleet next(GatewayConfig config) {
    Fleet f = new Fleet(config, clock, true);
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        BackendState kept = backends.get(b.name());
        boolean same = kept != null && kept.tier().equals(t.name()) && kept.config().equals(b);
        TokenRatios r = ratios.get(b.name());
        f.ratios.put(b.name(), same && r != null && f.charsPerToken == charsPerToken ? r : new TokenRatios(f.charsPerToken));
        if (same) {
          f.add(kept);
        } else {
          BackendState s = new BackendState(t.name(), b, t.profile());
          s.live(config.groupOf(t.name()).isEmpty());
          s.health(BackendState.Health.DOWN, "not probed yet: added by a config reload");
          f.add(s);
        }
      }
    }
    return f;
  }

  /** An empty fleet with the config's settings. */
  private Fleet(GatewayConfig config, LongSupplier nanoClock, boolean empty) {
    this.health = config.health();
    this.clock = nanoClock;
    this.charsPerToken = config.routing() == null ? 4.0 : config.routing().charsPerToken();
    this.learnEstimate = config.routing() == null || config.routing().learnPromptEstimate();
  }

  private void add(BackendState s) {
    backends.put(s.config().name(), s);
    firstOfTier.putIfAbsent(s.tier(), s);
  }

  /** The states of this fleet that {@code next} no longer has: removed or replaced backends. */
  public List<BackendState> leaving(Fleet next) {
    return backends.values().stream().filter(s -> next.backends.get(s.config().name()) != s).toList();
  }

  /**
   * A removed or replaced backend takes no new request from any config generation (a request that
   * parsed before the reload may still route by the old one); those in flight finish there.
   */
  public static void retire(BackendState s) {
    s.retire();
  }

  public Collection<BackendState> all() {
    return Collections.unmodifiableCollection(backends.values());
  }

  public BackendState get(String backend) {
    return backends.get(backend);
  }

  @Override
  public boolean routable(String backend) {
    BackendState s = backends.get(backend);
    return s != null && s.routable(clock);
  }

  @Override
  public boolean busy(String backend) {
    BackendState s = backends.get(backend);
    return s != null && s.full();
  }

  /**
   * The prompt's tokens by what the engines have taught so far. Every tier serves the same model,
   * so one tokenizer: the backends' ratios are pooled, each weighted by the requests it learned from,
   * and rules and context fit see one number.
   */
  public long estimate(TextMix mix) {
    TokenRatios p = pooled;
    if (p == null) {
      p = TokenRatios.pooled(charsPerToken, ratios.values());
      pooled = p;
    }
    return p.estimate(mix);
  }

  /** The engine behind {@code backend} counted {@code promptTokens} for a prompt of this mix. */
  public void learned(String backend, TextMix mix, long promptTokens) {
    TokenRatios r = ratios.get(backend);
    if (r != null && learnEstimate) {
      r.learn(mix, promptTokens);
      pooled = null;
    }
  }

  /** The backend's learned ratios (for the status page), or null for an unknown backend. */
  public TokenRatios ratios(String backend) {
    return ratios.get(backend);
  }

  @Override
  public boolean serves(String backend, String endpoint) {
    BackendState s = backends.get(backend);
    Api api = Api.byId(endpoint);
    return s == null || api == null || s.serves(api);
  }

  @Override
  public int inflight(String backend) {
    BackendState s = backends.get(backend);
    return s == null ? 0 : s.inflight();
  }

  @Override
  public BackendLoad load(String backend) {
    BackendState s = backends.get(backend);
    return s == null ? BackendLoad.IDLE : s.load();
  }

  @Override
  public BackendRates rates(String backend) {
    BackendState s = backends.get(backend);
    return s == null ? null : s.rates();
  }

  @Override
  public OptionalInt contextWindow(String backend) {
    BackendState s = backends.get(backend);
    return s == null ? OptionalInt.empty() : s.window();
  }

  /**
   * Whether a tier is the live one of its group (tiers outside groups always are). Set by the
   * lifecycle: a tier that is not live is neither routed to nor probed.
   */
  @Override
  public boolean live(String tier) {
    BackendState s = firstOfTier.get(tier);
    return s != null && s.live();
  }

  public void live(String tier, boolean live) {
    backends.values().stream().filter(s -> s.tier().equals(tier)).forEach(s -> s.live(live));
  }

  /** Requests in flight on a tier's backends. */
  public int tierInflight(String tier) {
    return backends.values().stream().filter(s -> s.tier().equals(tier)).mapToInt(BackendState::inflight).sum();
  }

  /** When a request last started or ended on the tier. */
  public long tierLastUsed(String tier) {
    return backends.values().stream().filter(s -> s.tier().equals(tier)).mapToLong(BackendState::lastUsedNanos).max()
        .orElse(0);
  }

  /** Moves every request still waiting for a first output on the tier to its next candidate. */
  public int failOverWaiting(String tier, String why) {
    return backends.values().stream().filter(s -> s.tier().equals(tier)).mapToInt(s -> s.failOverWaiting(why)).sum();
  }

  /** At least one backend of some tier can take a request now. */
  public boolean anyRoutable() {
    return backends.values().stream().anyMatch(s -> s.routable(clock));
  }

  @Override
  public Admission start(String backend, LiveAttempt attempt) {
    BackendState s = backends.get(backend);
    return s == null ? Admission.ADMITTED : s.start(clock.getAsLong(), attempt);
  }

  @Override
  public void proven(String backend, LiveAttempt attempt, Admission admission) {
    BackendState s = backends.get(backend);
    if (s == null) {
      return;
    }
    s.progressed(clock.getAsLong());
    if (attempt != null) {
      s.outputStarted(attempt);
    }
    // Only a trial acts on first output: resetting the failure count there for every stream would
    // hide a backend that breaks mid-stream every time. The count resets when an attempt ends well.
    if (admission == Admission.TRIAL) {
      if (s.closeCircuit()) {
        logClosed(backend, s);
      }
      s.endTrial();
    }
  }

  @Override
  public void finished(String backend, LiveAttempt attempt, Admission admission, AttemptResult result) {
    BackendState s = backends.get(backend);
    if (s == null) {
      return;
    }
    s.finished(attempt);
    if (result.countsAsFailure()) {
      long now = clock.getAsLong();
      boolean wasOpen = s.circuitOpen(now);
      s.failed(result.name().toLowerCase(), now, health.failureThreshold(), health.cooldownMs() * 1_000_000L);
      if (!wasOpen && s.circuitOpen(now)) {
        LOG.log(System.Logger.Level.WARNING, "backend {0} (tier {1}): circuit open for {2} ms after {3} consecutive failures, last {4}",
            backend, s.tier(), health.cooldownMs(), s.consecutiveFailures(), result.name().toLowerCase());
      }
    } else if (result == AttemptResult.OK) {
      s.progressed(clock.getAsLong());
      if (s.succeeded()) {
        logClosed(backend, s);
      }
    } else if (result == AttemptResult.CLIENT_ERROR) {
      // The engine answered, so it is alive; but a 400 says nothing for its health, so the failure
      // count is left as it is: client errors between failures must not hide a flaky backend.
      s.progressed(clock.getAsLong());
    } else if (result == AttemptResult.ENGINE_ERROR) {
      // Maybe the request, maybe the engine: the prober settles it with a request known to be good.
      s.suspect(true);
    }
    // Released after the outcome is recorded, so a failed trial has reopened the circuit first.
    if (admission == Admission.TRIAL) {
      s.endTrial();
    }
  }

  private static void logClosed(String backend, BackendState s) {
    LOG.log(System.Logger.Level.INFO, "backend {0} (tier {1}): circuit closed, traffic flows again", backend, s.tier());
  }

  /**
   * One finished request's measurements, for the backend's learned rates.
   *
   * @param ahead prompt tokens already waiting there when it was sent
   * @param streams streams decoding there when it was sent, itself not included
   */
  public void learn(String backend, long uncached, double upstreamTtftMs, long ahead, double decodeTps, int streams) {
    BackendState s = backends.get(backend);
    if (s != null) {
      s.rates.learn(uncached, upstreamTtftMs, ahead, decodeTps, streams + 1);
    }
  }

  @Override
  public void windowContradicted(String backend) {
    BackendState s = backends.get(backend);
    if (s != null && s.config().contextWindow() == null) {
      s.discovery.invalidate();
    }
  }

  /** Probe results land here. */
  public void probed(String backend, BackendState.Health h, String error) {
    BackendState s = backends.get(backend);
    if (s == null) {
      return;
    }
    BackendState.Health before = s.health();
    s.health(h, error);
    if (before != h) {
      LOG.log(h == BackendState.Health.READY ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
          "backend {0} (tier {1}): {2} -> {3}{4}", backend, s.tier(), before.name().toLowerCase(), h.name().toLowerCase(),
          error == null ? "" : " (" + error + ")");
    }
  }

  /** What a discovery round learned; a null list or window means that lookup failed with the given problem. */
  public void discovered(String backend, List<String> models, String modelProblem, Integer window, String windowProblem) {
    BackendState s = backends.get(backend);
    if (s != null) {
      s.discovery.learned(models, modelProblem, window, windowProblem, clock.getAsLong(),
          health.discoveryIntervalMs() * 1_000_000L);
    }
  }

  /** A known-good one-token request failed: out of routing until such a request succeeds again. */
  public void deepProbeFailed(String backend, String why) {
    BackendState s = backends.get(backend);
    if (s == null) {
      return;
    }
    s.deepFailure(why);
    s.suspect(false);
    probed(backend, BackendState.Health.DOWN, why);
    int moved = s.failOverWaiting(why);
    if (moved > 0) {
      LOG.log(System.Logger.Level.WARNING, "backend {0}: {1} request(s) waiting for a first output moved to other candidates",
          backend, moved);
    }
  }

  public void deepProbeSucceeded(String backend) {
    BackendState s = backends.get(backend);
    if (s != null) {
      s.deepFailure(null);
      s.suspect(false);
      s.progressed(clock.getAsLong());
    }
  }
}
