package dev.tiergate.app;

import dev.tiergate.admission.Admissions;
import dev.tiergate.api.ConfigReload;
import dev.tiergate.api.Generation;
import dev.tiergate.api.Services;
import dev.tiergate.auth.Keys;
import dev.tiergate.config.ConfigChange;
import dev.tiergate.config.ConfigException;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.fleet.BackendState;
import dev.tiergate.fleet.Fleet;
import dev.tiergate.fleet.Prober;
import dev.tiergate.routing.TierRouter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live reload: reads the config file again, exactly as at start, and puts it in force as a new
 * {@link Generation} without cutting a request. A file with any problem, or one that changes what
 * cannot change while the gateway runs, changes nothing. New and changed backends are probed before
 * the new generation is published; removed and replaced ones drain (no new request, the running
 * ones finish), then their connections close and their series leave {@code /metrics}. One reload
 * at a time, in the order asked, all on one context.
 */
final class Reloader implements ConfigReload {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.reload");
  /** How often draining backends are looked at: only while some drain, never per request. */
  private static final long DRAIN_CHECK_MS = 50;

  private final Vertx vertx;
  private final Context context;
  private final Services services;
  private final ConfigFile file;
  private volatile Prober prober;
  /** Removed or replaced backends whose last requests are still running (read by the gauges from any thread). */
  private final List<BackendState> draining = new CopyOnWriteArrayList<>();
  private long drainTimer = -1;
  private Future<JsonObject> last = Future.succeededFuture();
  private volatile boolean stopped;

  Reloader(Vertx vertx, Services services, ConfigFile file, Prober first) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.services = services;
    this.file = file;
    this.prober = first;
  }

  ConfigFile file() {
    return file;
  }

  Prober prober() {
    return prober;
  }

  @Override
  public List<BackendState> draining() {
    return List.copyOf(draining);
  }

  /** A draining backend by name (its gauges keep reading it), or null. */
  BackendState draining(String name) {
    for (BackendState s : draining) {
      if (s.config().name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  @Override
  public Future<JsonObject> reload(String trigger) {
    Promise<JsonObject> done = Promise.promise();
    context.runOnContext(v -> {
      // Each reload starts from the generation the one before it left.
      Future<JsonObject> f = last.transform(ignored -> attempt(trigger));
      last = f;
      f.onComplete(done);
    });
    return done.future();
  }

  Future<Void> stop() {
    stopped = true;
    context.runOnContext(v -> {
      if (drainTimer >= 0) {
        vertx.cancelTimer(drainTimer);
      }
    });
    return prober.stop();
  }

  /** What a reload will put in force: the config, what differs, and the keys file read against it. */
  private record Plan(GatewayConfig next, ConfigChange change, Keys.Staged keys) {}

  /** A key path at the start of a problem ({@code server.port cannot …}, {@code tiers[1].url: …}). */
  private static final Pattern KEY_PATH = Pattern.compile("^([A-Za-z_][\\w-]*(?:\\.[\\w-]+|\\[\\d+])*)(?::| cannot| \\()");

  /** A reload refused, with the words for the operator and the first problem's key path. */
  private static final class Refused extends RuntimeException {
    final String param;

    Refused(String message, List<String> problems) {
      super(message, null, false, false);
      Matcher m = problems.isEmpty() ? null : KEY_PATH.matcher(problems.get(0));
      this.param = m != null && m.find() ? m.group(1) : null;
    }
  }

  private Future<JsonObject> attempt(String trigger) {
    if (stopped) {
      return Future.failedFuture(GatewayError.of(GatewayError.Kind.SHUTTING_DOWN, "the gateway is shutting down"));
    }
    Generation old = services.generation();
    return vertx.executeBlocking(() -> plan(old), false).transform(ar -> {
      if (ar.failed()) {
        services.metrics().reloaded(false);
        String why = ar.cause() instanceof Refused r ? r.getMessage() : "config not reloaded, nothing changed: " + ar.cause();
        LOG.log(System.Logger.Level.WARNING, "{0}: {1}", trigger, why);
        return Future.failedFuture(GatewayError.invalid(why, ar.cause() instanceof Refused r ? r.param : null));
      }
      return put(trigger, old, ar.result());
    });
  }

  /** Reads and checks everything (blocking: on a worker); throws {@link Refused} when nothing may change. */
  private Plan plan(Generation old) {
    GatewayConfig running = old.config();
    GatewayConfig read;
    try {
      read = file.loader().loadFile(file.path());
    } catch (ConfigException e) {
      throw new Refused("config not reloaded, nothing changed: " + String.join("; ", e.problems()) + " (" + file.path() + ")",
          e.problems());
    }
    // The server section is compared as the file had it: --port and a resolved port 0 are not changes.
    ConfigChange change = ConfigChange.between(running.withServer(file.server()), read);
    if (!change.fixed().isEmpty()) {
      throw new Refused("config not reloaded, nothing changed: " + String.join("; ", change.fixed()) + " (" + file.path() + ")",
          change.fixed());
    }
    GatewayConfig next = read.withServer(running.server());
    Keys keys = services.keys();
    Keys.Staged staged = null;
    if (keys.enabled() && next.auth().keysFile() != null) {
      try {
        staged = keys.stage(next);
      } catch (ConfigException e) {
        throw new Refused("keys file not reloaded, the " + keys.principals().size() + " key(s) in force stay: "
            + String.join("; ", e.problems()) + "; the config was not reloaded either (both or neither)", List.of());
      }
    }
    return new Plan(next, change, staged);
  }

  /** Builds the new generation, probes it, and puts it in force (on the reload context). */
  private Future<JsonObject> put(String trigger, Generation old, Plan plan) {
    GatewayConfig cfg = plan.next();
    Fleet fleet = old.fleet().next(cfg);
    TierRouter router = new TierRouter(cfg);
    Generation gen = new Generation(old.number() + 1, cfg, router, fleet, new Admissions(vertx, cfg, fleet, router));
    Prober probes = new Prober(vertx, fleet, cfg);
    // New and changed backends are probed before anything can route to them; kept ones are looked at again.
    return probes.start().compose(v -> {
      if (stopped) {
        probes.stop();
        return Future.failedFuture(GatewayError.of(GatewayError.Kind.SHUTTING_DOWN, "the gateway is shutting down"));
      }
      return Future.succeededFuture(install(trigger, old, gen, plan, probes));
    });
  }

  /** Puts the probed generation in force: plain steps that cannot fail half-way. */
  private JsonObject install(String trigger, Generation old, Generation gen, Plan plan, Prober probes) {
    services.metrics().reconfigure(gen.config(), gen.admissions().backends());
    services.install(gen);
    if (plan.keys() != null) {
      plan.keys().commit();
      services.keysChanged();
    }
    Prober before = prober;
    prober = probes;
    before.stop();
    List<BackendState> leaving = old.fleet().leaving(gen.fleet());
    leaving.forEach(Fleet::retire);
    draining.addAll(leaving);
    watchDrain();
    services.metrics().reloaded(true);
    JsonObject summary = summary(gen, plan, leaving);
    LOG.log(System.Logger.Level.INFO, "{0}: config reloaded from {1}: {2}", trigger, file.path(), line(summary));
    return summary;
  }

  /** Retires drained backends: their pooled connections close and their series leave {@code /metrics}. */
  private void watchDrain() {
    if (draining.isEmpty()) {
      forget();
      return;
    }
    if (drainTimer >= 0) {
      return;
    }
    drainTimer = vertx.setPeriodic(DRAIN_CHECK_MS, id -> {
      List<BackendState> done = draining.stream().filter(s -> s.inflight() == 0).toList();
      if (done.isEmpty()) {
        return;
      }
      draining.removeAll(done);
      if (draining.isEmpty()) {
        vertx.cancelTimer(drainTimer);
        drainTimer = -1;
      }
      // A client is per name and URL: one that a live or another draining backend still uses stays open.
      List<BackendState> unused = done.stream().filter(s -> !inUse(s)).toList();
      Future.join(unused.stream().map(s -> services.retire(s.config())).toList()).onComplete(ar -> {
        forget();
        done.forEach(s -> LOG.log(System.Logger.Level.INFO, "backend {0} (tier {1}) drained after the reload: its connections"
            + " are closed and its series removed", s.config().name(), s.tier()));
      });
    });
  }

  private boolean inUse(BackendState gone) {
    String name = gone.config().name();
    String url = gone.config().url();
    BackendState live = services.fleet().get(name);
    return live != null && live.config().url().equals(url)
        || draining.stream().anyMatch(s -> s.config().name().equals(name) && s.config().url().equals(url));
  }

  private void forget() {
    Map<String, String> still = new HashMap<>();
    draining.forEach(s -> still.put(s.config().name(), s.tier()));
    services.metrics().forget(still);
  }

  private JsonObject summary(Generation gen, Plan plan, List<BackendState> leaving) {
    ConfigChange c = plan.change();
    JsonArray notReady = new JsonArray();
    for (String b : c.addedBackends()) {
      if (!gen.fleet().routable(b)) {
        notReady.add(b);
      }
    }
    for (String b : c.changedBackends()) {
      if (!gen.fleet().routable(b)) {
        notReady.add(b);
      }
    }
    JsonObject body = new JsonObject()
        .put("reloaded", true)
        .put("generation", gen.number())
        .put("changed", !c.none())
        .put("backends", new JsonObject().put("added", new JsonArray(c.addedBackends()))
            .put("removed", new JsonArray(c.removedBackends())).put("changed", new JsonArray(c.changedBackends()))
            .put("draining", new JsonArray(leaving.stream().map(s -> s.config().name()).toList()))
            .put("notReady", notReady))
        .put("tiers", new JsonObject().put("added", new JsonArray(c.addedTiers())).put("removed", new JsonArray(c.removedTiers()))
            .put("changed", new JsonArray(c.changedTiers())))
        .put("rulesChanged", c.rulesChanged())
        .put("aliasesChanged", c.aliasesChanged())
        .put("routingChanged", c.routingChanged())
        .put("timeoutsChanged", c.timeoutsChanged())
        .put("healthChanged", c.healthChanged());
    if (plan.keys() != null) {
      body.put("keys", plan.keys().size());
    }
    return body;
  }

  /** The summary as one log line (appended piece by piece: a long concatenation costs its first caller a bootstrap on the loop). */
  static String line(JsonObject s) {
    JsonObject b = s.getJsonObject("backends");
    JsonObject t = s.getJsonObject("tiers");
    StringBuilder sb = new StringBuilder("generation ").append(s.getLong("generation"));
    if (!s.getBoolean("changed")) {
      sb.append(" (no change)");
    }
    sb.append("; backends added ").append(b.getJsonArray("added")).append(" removed ").append(b.getJsonArray("removed"))
        .append(" changed ").append(b.getJsonArray("changed")).append(" draining ").append(b.getJsonArray("draining"))
        .append(" not ready yet ").append(b.getJsonArray("notReady"))
        .append("; tiers added ").append(t.getJsonArray("added")).append(" removed ").append(t.getJsonArray("removed"))
        .append(" changed ").append(t.getJsonArray("changed"))
        .append("; rules ").append(s.getBoolean("rulesChanged") ? "changed" : "unchanged")
        .append(", routing ").append(s.getBoolean("routingChanged") ? "changed" : "unchanged");
    if (s.containsKey("keys")) {
      sb.append("; keys reloaded, ").append(s.getInteger("keys")).append(" in force");
    }
    return sb.toString();
  }
}
