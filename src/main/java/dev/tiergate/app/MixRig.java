package dev.tiergate.app;

import dev.tiergate.bench.MixBench;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.config.TierPolicy;
import dev.tiergate.sim.SimOptions;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What {@code bench mix} runs against: per configuration ({@code config/mix/<name>.yaml}, shipped in the jar), the
 * demo's three calibrated simulators and a gateway, in this process on free ports, on a Vert.x of their own, so
 * nothing (engine queues, learned rates, the JIT's view of the sims aside) carries over from one configuration to
 * the next.
 */
public final class MixRig implements MixBench.Rig {
  static final String RESOURCE = "config/mix/%s.yaml";
  private static final String HOST = "127.0.0.1";

  private final UnaryOperator<SimOptions> tune;

  public MixRig() {
    this(UnaryOperator.identity());
  }

  /** With every simulator's calibration passed through {@code tune}: tests make the sims faster. */
  public MixRig(UnaryOperator<SimOptions> tune) {
    this.tune = tune;
  }

  /** The configuration, with free ports for the gateway and its three simulators. */
  static GatewayConfig load(String name) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TIERGATE_HOST", HOST);
    for (String v : List.of("TIERGATE_PORT", "TIERGATE_DEMO_FAST_PORT", "TIERGATE_DEMO_MAX_PORT", "TIERGATE_DEMO_PREFILL_PORT")) {
      env.put(v, Integer.toString(freePort()));
    }
    return ConfigLoader.withEnv(env).loadResource(RESOURCE.formatted(name));
  }

  @Override
  public MixBench.Target start(String name) {
    GatewayConfig config = load(name);
    Vertx vertx = Launch.vertx(config);
    Gateway gateway;
    try {
      Launch.await(Demo.startSims(vertx, config, tune));
      gateway = Launch.await(Gateway.start(vertx, config));
    } catch (RuntimeException e) {
      Launch.await(vertx.close());
      throw e;
    }
    String base = "http://" + HOST + ":" + gateway.port();
    int metricsPort = gateway.metricsPort();
    String metrics = metricsPort < 0 ? null : "http://" + HOST + ":" + metricsPort + config.metrics().path();
    List<String> tiers = config.tiers().stream().map(TierConfig::name).toList();
    return new MixBench.Target(base, metrics, tiers, slos(config), () -> {
      try {
        Launch.await(gateway.stop());
      } finally {
        Launch.await(vertx.close());
      }
    });
  }

  /** Each tier's objectives as configured; a tier without them is left out. */
  static Map<String, MixBench.Slo> slos(GatewayConfig config) {
    Map<String, MixBench.Slo> out = new LinkedHashMap<>();
    for (TierConfig t : config.tiers()) {
      TierPolicy.Slo slo = t.slo();
      if (slo != null) {
        // an objective left out does not constrain: infinitely loose
        out.put(t.name(), new MixBench.Slo(slo.ttftMs() == null ? Double.POSITIVE_INFINITY : slo.ttftMs(),
            slo.tpotMs() == null ? Double.POSITIVE_INFINITY : slo.tpotMs()));
      }
    }
    return out;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("cannot find a free port on " + HOST, e);
    }
  }
}
