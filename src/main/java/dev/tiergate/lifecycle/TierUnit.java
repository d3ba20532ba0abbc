package dev.tiergate.lifecycle;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.fleet.BackendState;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.upstream.HealthProbe;
import dev.tiergate.upstream.ProbeResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * One managed tier: its engine control and the readiness rules for its backends. A start counts as
 * done only when every backend gives the engine's own ready signal and discovery has run, so the
 * first request routed to it finds the names and window already known.
 */
final class TierUnit {
  private static final long POLL_MS = 100;

  final TierConfig config;
  final EngineControl control;
  /** The engine's sleep and wake, when the tier swaps warm; null for cold swaps. */
  final WarmEngine warm;
  private final Vertx vertx;
  private final Fleet fleet;
  private final HealthProbe probe;

  TierUnit(TierConfig config, EngineControl control, WarmEngine warm, Vertx vertx, Fleet fleet, HealthProbe probe) {
    this.config = config;
    this.control = control;
    this.warm = warm;
    this.vertx = vertx;
    this.fleet = fleet;
    this.probe = probe;
  }

  String name() {
    return config.name();
  }

  /** Starts the engine and waits for it to be ready; fails with what went wrong, in words an operator can act on. */
  Future<Void> boot() {
    return control.start().compose(v -> ready(config.lifecycle().readyTimeoutMs())).compose(v -> discover());
  }

  /** Whether every backend answers ready now (an engine someone else started is adopted, not started twice). */
  Future<Boolean> answering() {
    List<Future<ProbeResult>> all = new ArrayList<>();
    for (BackendConfig b : config.backends()) {
      all.add(probe.probe(b));
    }
    return Future.all(all).map(cf -> all.stream().allMatch(f -> f.result().state() == ProbeResult.State.READY));
  }

  /** Whether any backend still answers at all (after a stop, the engine must be gone). */
  Future<Boolean> anyAnswering() {
    List<Future<ProbeResult>> all = new ArrayList<>();
    for (BackendConfig b : config.backends()) {
      all.add(probe.probe(b));
    }
    return Future.all(all).map(cf -> all.stream().anyMatch(f -> f.result().state() != ProbeResult.State.DOWN));
  }

  private Future<Void> ready(long timeoutMs) {
    Promise<Void> p = Promise.promise();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    poll(p, deadline, "no probe answered yet");
    return p.future();
  }

  private void poll(Promise<Void> p, long deadline, String last) {
    String exited = control.exited();
    if (exited != null) {
      p.tryFail("the engine " + exited + tail());
      return;
    }
    if (System.nanoTime() > deadline) {
      p.tryFail("not ready within readyTimeoutMs (" + config.lifecycle().readyTimeoutMs() + " ms); last probe: " + last + tail());
      return;
    }
    List<Future<ProbeResult>> all = new ArrayList<>();
    for (BackendConfig b : config.backends()) {
      all.add(probe.probe(b));
    }
    Future.all(all).onComplete(ar -> {
      boolean ready = all.stream().allMatch(f -> f.succeeded() && f.result().state() == ProbeResult.State.READY);
      if (ready) {
        p.tryComplete();
        return;
      }
      String detail = all.stream().filter(f -> f.succeeded() && f.result().state() != ProbeResult.State.READY)
          .map(f -> f.result().state().name().toLowerCase() + " (" + f.result().detail() + ")").findFirst().orElse(last);
      vertx.setTimer(POLL_MS, id -> poll(p, deadline, detail));
    });
  }

  /** Names and window first, then ready: the fleet routes to it from the next request on. */
  Future<Void> discover() {
    List<Future<Void>> all = new ArrayList<>();
    for (BackendConfig b : config.backends()) {
      all.add(probe.discover(b).map(d -> {
        fleet.discovered(b.name(), d.models(), d.modelProblem(), d.window(), d.windowProblem());
        fleet.probed(b.name(), BackendState.Health.READY, null);
        return null;
      }));
    }
    return Future.all(all).mapEmpty();
  }

  /** Marks the tier's backends down with a reason an operator can read in status. */
  void down(String why) {
    config.backends().forEach(b -> fleet.probed(b.name(), BackendState.Health.DOWN, why));
  }

  private String tail() {
    List<String> last = control.logTail(5);
    return last.isEmpty() ? "" : "; last output: " + String.join(" | ", last);
  }
}
