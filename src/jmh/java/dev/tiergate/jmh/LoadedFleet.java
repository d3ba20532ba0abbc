package dev.tiergate.jmh;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.config.TierPolicy;
import dev.tiergate.fleet.BackendState;
import dev.tiergate.fleet.EngineReports;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.routing.BackendLoad;
import dev.tiergate.upstream.LiveAttempt;
import java.util.List;
import java.util.function.IntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A real {@link Fleet} brought to a given load through the calls the gateway makes: the prober finds each backend
 * ready and discovers its names and window, upstream calls start attempts (and prove the decoding ones), and
 * finished requests teach the rates. Only the engine's own load report is set directly ({@link EngineReports}).
 */
final class LoadedFleet {
  /** Held, so the level sticks: the fleet logs every backend's move to ready, once per trial, into the results. */
  private static final Logger FLEET_LOG = Logger.getLogger("dev.tiergate.fleet");

  private LoadedFleet() {}

  /**
   * The fleet of {@code config}, backend number {@code n} (1-based, in config order) loaded as {@code load.apply(n)}
   * reads to the predictor: a prefill count with no waiting request becomes one request of that size, and interactive
   * streams with none decoding become interactive prompts waiting (both count alike for admission).
   */
  static Fleet of(GatewayConfig config, IntFunction<BackendLoad> load) {
    FLEET_LOG.setLevel(Level.WARNING);
    Fleet fleet = new Fleet(config);
    int n = 0;
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        n++;
        String name = b.name();
        fleet.probed(name, BackendState.Health.READY, null);
        fleet.discovered(name, List.of(b.model()), null, b.contextWindow(), null);
        teach(fleet, name, t.profile(), n);
        BackendLoad l = load.apply(n);
        int decoding = l.decoding();
        int interactiveDecoding = Math.min(l.interactiveDecoding(), decoding);
        for (int i = 0; i < decoding; i++) {
          Attempt a = new Attempt(256, i < interactiveDecoding);
          fleet.proven(name, a, fleet.start(name, a));
        }
        int waiting = l.queuedPrefillTokens() > 0 ? Math.max(1, l.waiting()) : l.waiting();
        int interactiveWaiting = l.interactiveDecoding() - interactiveDecoding;
        for (int i = 0; i < waiting; i++) {
          fleet.start(name, new Attempt(l.queuedPrefillTokens() / waiting, i < interactiveWaiting));
        }
        if (l.engineRunning() >= 0) {
          EngineReports.report(fleet, name, l.engineRunning(), l.engineWaiting());
        }
      }
    }
    return fleet;
  }

  /**
   * What finished requests teach, as the gateway reports them ({@code Fleet.learn}): a short prompt, one prompt per
   * prefill band, decode rates at several concurrencies; each backend a little faster than its tier's profile, as
   * in the stored view's rates.
   */
  private static void teach(Fleet fleet, String backend, TierPolicy.Profile profile, int n) {
    double prefillTps = profile.prefillTps() + n;
    double decodeTps = profile.decodeTps() + n;
    for (int round = 0; round < 3; round++) {
      fleet.learn(backend, 200, profile.ttftBaseMs() + 200 * 1000.0 / prefillTps, 0, Double.NaN, 0);
      for (long prompt : new long[] {600, 2500, 10_000, 40_000, 100_000}) {
        double tps = prefillTps / (1 + prompt / 100_000.0);
        fleet.learn(backend, prompt, profile.ttftBaseMs() + prompt * 1000.0 / tps, 0, Double.NaN, 0);
      }
      for (int others = 0; others < 16; others += 3) {
        fleet.learn(backend, 0, 0, 0, decodeTps / (others + 1), others);
      }
    }
  }

  /** An attempt as the fleet sees it; the benchmark's never end. A class, not a record: the fleet keys attempts by identity. */
  private static final class Attempt implements LiveAttempt {
    private final long promptTokens;
    private final boolean interactive;

    Attempt(long promptTokens, boolean interactive) {
      this.promptTokens = promptTokens;
      this.interactive = interactive;
    }

    @Override
    public long promptTokens() {
      return promptTokens;
    }

    @Override
    public boolean interactive() {
      return interactive;
    }

    @Override
    public long startedNanos() {
      return System.nanoTime();
    }

    @Override
    public long lastActivityNanos() {
      return System.nanoTime();
    }

    @Override
    public boolean hasOutput() {
      return false;
    }

    @Override
    public void stalled(String why) {}

    @Override
    public void admitted(long prefillAhead, int decoding) {}
  }
}
