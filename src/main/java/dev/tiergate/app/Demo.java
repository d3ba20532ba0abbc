package dev.tiergate.app;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.LifecycleConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.sim.Profiles;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code tiergate demo}: one simulator per backend of the embedded demo config, calibrated to the
 * seed stack's measured tiers, and the gateway in front of them.
 */
public final class Demo {
  private Demo() {}

  static void run(String[] args) {
    String rig = "big";
    Integer port = null;
    String boot = null;
    boolean cold = false;
    String file = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(Main.value(args, ++i, "--port"));
        case "--rig" -> rig = Main.value(args, ++i, "--rig");
        case "--boot-seconds" -> boot = Main.value(args, ++i, "--boot-seconds");
        case "--cold" -> cold = true;
        case "--config" -> file = Main.value(args, ++i, "--config");
        default -> throw new IllegalArgumentException("demo: unknown option '" + args[i] + "' (--port N, --rig big|small, "
            + "--boot-seconds N, --cold, --config FILE)");
      }
    }
    if (rig.equals("small")) {
      small(port, boot, cold);
      return;
    }
    if (!rig.equals("big")) {
      throw new IllegalArgumentException("demo: --rig is big (three tiers side by side) or small (one tier at a time)");
    }
    // From a file (a copy of config/demo.yaml), the demo can be edited and reloaded live.
    ConfigLoader loader = ConfigLoader.withSystemEnv();
    GatewayConfig loaded = file == null ? loader.loadResource(ConfigLoader.DEMO_RESOURCE) : loader.loadFile(Path.of(file));
    GatewayConfig config = port != null ? Launch.withPort(loaded, port) : loaded;
    Vertx vertx = Launch.vertx(config);
    Launch.await(startSims(vertx, config));
    Launch.gateway(vertx, config, file == null ? "embedded demo.yaml" : file,
        file == null ? null : new ConfigFile(Path.of(file), loader, loaded.server()));
    int p = config.server().port();
    System.out.println("""

        Demo ready: three simulated tiers (fast W4A16, max W8A16, prefill W8A8) behind one endpoint.
          OpenAI base URL: http://127.0.0.1:%1$d/v1
          Status page:     http://127.0.0.1:%1$d/
          Try:
            curl -sN http://127.0.0.1:%1$d/v1/chat/completions -H 'Content-Type: application/json' \\
              -d '{"model":"qwen3.6-27b","stream":true,"messages":[{"role":"user","content":"Hello!"}]}' -D -
          Steer with -H 'x-tiergate-tier: max' (or prefill, fast); Ctrl-C stops everything.
        """.formatted(p));
  }

  /**
   * The small rig: the three tiers share "the GPUs", so the gateway starts each one's engine (a
   * simulator process with the same calibration) through its lifecycle and swaps on demand.
   */
  private static void small(Integer port, String bootSeconds, boolean cold) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("TIERGATE_JAVA", ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
    env.put("TIERGATE_CLASSPATH", System.getProperty("java.class.path"));
    if (bootSeconds != null) {
      env.put("TIERGATE_BOOT_SECONDS", bootSeconds);
    }
    GatewayConfig config = new ConfigLoader(env::get).loadResource(ConfigLoader.SMALL_DEMO_RESOURCE);
    if (cold) {
      config = withoutWarm(config);
    }
    if (port != null) {
      config = Launch.withPort(config, port);
    }
    Launch.gateway(config, "embedded demo-small.yaml");
    int p = config.server().port();
    System.out.println("""

        Small-rig demo: fast, max and prefill share two (simulated) GPUs; one tier is live at a time.
        The gateway is starting the engines now (%2$s): fast (home) serves first.
          OpenAI base URL: http://127.0.0.1:%1$d/v1
          Status page:     http://127.0.0.1:%1$d/  (watch the swap there, or press Activate)
          A strict request for max waits while the gateway swaps, then gets its answer from max:
            curl -s http://127.0.0.1:%1$d/v1/chat/completions -D - -H 'Content-Type: application/json' \\
              -H 'x-tiergate-tier: max' -H 'x-tiergate-strict: true' \\
              -d '{"model":"qwen3.6-27b","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}'
          Watch the swap:   curl -s http://127.0.0.1:%1$d/tiergate/status
          Swap by hand:     curl -s -X POST http://127.0.0.1:%1$d/tiergate/tiers/prefill/activate
          Ctrl-C stops the gateway and every engine it started.
        """.formatted(p, cold ? "cold swaps: each swap stops one engine and boots the next"
            : "warm swaps: each engine boots once, then sleeps and wakes in seconds; --cold to compare"));
  }

  /** The same config with every tier swapping cold (stopped and started rather than put to sleep). */
  static GatewayConfig withoutWarm(GatewayConfig c) {
    List<TierConfig> tiers = new ArrayList<>();
    for (TierConfig t : c.tiers()) {
      LifecycleConfig l = t.lifecycle();
      LifecycleConfig cold = l == null ? null : new LifecycleConfig(l.process(), l.commands(), l.http(), l.readyTimeoutMs(), null);
      tiers.add(t.withLifecycle(cold));
    }
    return c.withTiers(tiers);
  }

  /** Starts a simulator for every backend of the config, on the backend's own port. */
  public static Future<List<SimServer>> startSims(Vertx vertx, GatewayConfig config) {
    return startSims(vertx, config, UnaryOperator.identity());
  }

  /** As {@link #startSims(Vertx, GatewayConfig)}, each calibration passed through {@code tune} (tests speed them up). */
  static Future<List<SimServer>> startSims(Vertx vertx, GatewayConfig config, UnaryOperator<SimOptions> tune) {
    List<Future<SimServer>> all = new ArrayList<>();
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        URI u = URI.create(b.url());
        all.add(SimServer.start(vertx, tune.apply(calibrated(t.name(), b)).withHost(u.getHost()).withPort(u.getPort())));
      }
    }
    return Future.all(all).map(cf -> cf.list());
  }

  /** The tier's calibration (see {@link Profiles}) with the backend's model and window. */
  static SimOptions calibrated(String tier, BackendConfig b) {
    SimOptions base = SimOptions.defaults(b.engine().id()).withModel(b.model() != null ? b.model() : "qwen3.6-27b");
    int window = b.contextWindow() != null ? b.contextWindow() : 262144;
    boolean pooling = b.serves().contains(Api.EMBEDDINGS) || b.serves().contains(Api.RERANK);
    return Profiles.apply(tier, base).withContextWindow(window).withPooling(pooling);
  }

}
