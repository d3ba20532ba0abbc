package dev.tiergate.app;

import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.sim.SimCli;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.Arrays;

/** The command line: {@code serve}, {@code demo}, {@code sim}, {@code check-config}. */
public final class Main {
  static final String USAGE = """
      usage: tiergate <command> [options]

        serve --config FILE     run the gateway on a YAML config
        demo [--port N]         three simulated tiers + the gateway on config/demo.yaml (port 8080)
        demo --config FILE      the same from a copy of config/demo.yaml you can edit and reload (SIGHUP)
        demo --rig small        one tier live at a time: the gateway starts and swaps engine processes
        sim --engine E ...      one simulated engine (vllm|sglang|llamacpp|ikllama); sim --help
        check-config [--config] FILE   validate a config file and print the verdict
        bench tiers|stream|swap|mix ...  tier trade-space, streaming load, swaps, mixed workload; bench help
        help                    this text
      """;

  static {
    // Netty 4.2 registers JFR event types on the first pooled allocation, which stalls an event
    // loop for ~0.4 s on the first request; the gateway has its own metrics.
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    // One line per log record (JUL's default spreads each over two).
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    }
  }

  private Main() {}

  public static void main(String[] args) {
    String cmd = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    try {
      switch (cmd) {
        case "serve" -> serve(rest);
        case "demo" -> Demo.run(rest);
        case "sim" -> sim(rest);
        case "check-config" -> System.exit(CheckConfig.run(rest, System.out, System.err));
        case "bench" -> dev.tiergate.bench.BenchCli.main(rest, new MixRig());
        case "help", "--help", "-h" -> System.out.print(USAGE);
        case "cds-training" -> CdsTraining.run();
        default -> {
          System.err.println("unknown command '" + cmd + "'\n");
          System.err.print(USAGE);
          System.exit(2);
        }
      }
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  private static void serve(String[] args) {
    String file = null;
    Integer port = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config", "-c" -> file = value(args, ++i, "--config");
        case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
        default -> throw new IllegalArgumentException("serve: unknown option '" + args[i] + "'\n\n" + USAGE);
      }
    }
    if (file == null) {
      throw new IllegalArgumentException("serve: --config FILE is required (try config/demo.yaml)");
    }
    ConfigLoader loader = ConfigLoader.withSystemEnv();
    GatewayConfig loaded = loader.loadFile(Path.of(file));
    GatewayConfig config = port != null ? Launch.withPort(loaded, port) : loaded;
    Launch.gateway(config, new ConfigFile(Path.of(file), loader, loaded.server()));
  }

  private static void sim(String[] args) {
    if (SimCli.wantsHelp(args)) {
      System.out.print(SimCli.usage());
      return;
    }
    // the sim's HTTP loops and its engine each want an event loop of their own (bad flags: SimCli.run says why)
    int loops;
    try {
      loops = SimCli.parse(args).httpLoops();
    } catch (IllegalArgumentException e) {
      loops = 1;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setEventLoopPoolSize(Math.max(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, loops + 1)));
    SimCli.run(vertx, args).onComplete(ar -> {
      if (ar.failed()) {
        System.err.println(ar.cause().getMessage());
        System.err.print(SimCli.usage());
        vertx.close();
        System.exit(2);
      }
      System.out.println("sim " + ar.result().options().engine() + " listening on http://"
          + ar.result().options().host() + ":" + ar.result().port());
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> Launch.await(vertx.close())));
  }

  static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }
}
