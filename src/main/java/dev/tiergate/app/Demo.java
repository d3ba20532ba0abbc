package dev.tiergate.app;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.sim.SimServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tiergate demo}: one simulator per backend of the embedded demo config, calibrated to the
 * seed stack's measured tiers, and the gateway in front of them.
 */
public final class Demo {
  private Demo() {}

  static void run(String[] args) {
    GatewayConfig config = ConfigLoader.withSystemEnv().loadResource(ConfigLoader.DEMO_RESOURCE);
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--port")) {
        config = Launch.withPort(config, Integer.parseInt(Main.value(args, ++i, "--port")));
      } else {
        throw new IllegalArgumentException("demo: unknown option '" + args[i] + "'");
      }
    }
    Vertx vertx = Launch.vertx(config);
    Launch.await(startSims(vertx, config));
    Launch.gateway(vertx, config, "embedded demo.yaml");
    int port = config.server().port();
    System.out.println("""

        Demo ready: three simulated tiers (fast W4A16, max W8A16, prefill W8A8) behind one endpoint.
          OpenAI base URL: http://127.0.0.1:%1$d/v1
          Try:
            curl -sN http://127.0.0.1:%1$d/v1/chat/completions -H 'Content-Type: application/json' \\
              -d '{"model":"qwen3.6-27b","stream":true,"messages":[{"role":"user","content":"Hello!"}]}' -D -
          Steer with -H 'x-tiergate-tier: max' (or prefill, fast); Ctrl-C stops everything.
        """.formatted(port));
  }

  /** Starts a simulator for every backend of the config, on the backend's own port. */
  public static Future<List<SimServer>> startSims(Vertx vertx, GatewayConfig config) {
    List<Future<SimServer>> all = new ArrayList<>();
    for (TierConfig t : config.tiers()) {
      for (BackendConfig b : t.backends()) {
        URI u = URI.create(b.url());
        all.add(SimServer.start(vertx, calibrated(t.name(), b).withHost(u.getHost()).withPort(u.getPort())));
      }
    }
    return Future.all(all).map(cf -> cf.list());
  }

  /**
   * Rates from the seed's A/B sitting: prefill tok/s at 10K → 90K prompt tokens (W8A8 2062 → 1021,
   * FP8 1364 → 875, INT4 1446 → 1118), short-prompt TTFT 122 ms (W8A8) vs 158 ms (FP8), decode
   * ≈ 72–90 tok/s for INT4 and ≈ 69 for FP8. The half-rate points fit rate(n) = p0 / (1 + n/h).
   */
  static SimOptions calibrated(String tier, BackendConfig b) {
    SimOptions base = SimOptions.defaults(b.engine().id()).withModel(b.model() != null ? b.model() : "qwen3.6-27b");
    int window = b.contextWindow() != null ? b.contextWindow() : 262144;
    return switch (tier) {
      case "prefill" -> base.withPrefillTps(2363).withPrefillHalfRateTokens(68462).withTtftBaseMs(122)
          .withDecodeTps(62).withContextWindow(window);
      case "max" -> base.withPrefillTps(1466).withPrefillHalfRateTokens(133139).withTtftBaseMs(158)
          .withDecodeTps(69).withContextWindow(window);
      default -> base.withPrefillTps(1501).withPrefillHalfRateTokens(262665).withTtftBaseMs(150)
          .withDecodeTps(80).withContextWindow(window);
    };
  }
}
