package dev.tiergate.app;

import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.TierConfig;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code tiergate check-config [--config] FILE}: exit 0 and a summary when valid, 1 and every problem when not. */
final class CheckConfig {
  private CheckConfig() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    // `serve` takes --config FILE; the same words must work here.
    if (args.length == 2 && (args[0].equals("--config") || args[0].equals("-c"))) {
      args = new String[] {args[1]};
    }
    if (args.length != 1 || args[0].startsWith("-")) {
      err.println("usage: tiergate check-config FILE   (or: check-config --config FILE)");
      return 2;
    }
    try {
      GatewayConfig c = ConfigLoader.withSystemEnv().loadFile(Path.of(args[0]));
      out.println("OK: " + args[0] + " is valid");
      out.println("  listen " + c.server().host() + ":" + c.server().port() + ", default tier " + c.routing().defaultTier()
          + ", " + c.routing().rules().size() + " rule(s)");
      for (TierConfig t : c.tiers()) {
        out.println("  tier " + t.name() + " (" + t.scheme() + "): " + t.backends().size() + " backend(s)");
      }
      return 0;
    } catch (ConfigException e) {
      err.println("INVALID: " + e.getMessage());
      return 1;
    }
  }
}
