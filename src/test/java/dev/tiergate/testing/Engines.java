package dev.tiergate.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine processes for lifecycle tests: a simulator started as a real child JVM (the same command
 * line a user would give tiergate for {@code llama-server} or {@code vllm serve}), and the YAML
 * that declares it.
 */
public final class Engines {
  private Engines() {}

  /** The java binary running the tests. */
  public static String java() {
    return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
  }

  /** The argv of a simulator child: fast JVM flags, quick rates, and a boot time of its own. */
  public static List<String> sim(int port, String model, double bootSeconds, String... extra) {
    List<String> argv = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
        "-Dio.netty.jfr.enabled=false", "-cp", System.getProperty("java.class.path"), "dev.tiergate.app.Main", "sim",
        "--engine", "vllm", "--port", Integer.toString(port), "--model", model, "--decode-tps", "500",
        "--ttft-base-ms", "1", "--prefill-tps", "1000000", "--loading-seconds", Double.toString(bootSeconds)));
    argv.addAll(List.of(extra));
    return argv;
  }

  /** A YAML flow list of strings, quoted. */
  public static String yaml(List<String> argv) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < argv.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append('"').append(argv.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return sb.append(']').toString();
  }

  /**
   * A port for a child engine to bind. The child binds it itself, so there is a short window in
   * which another process could take it; the tests use a handful, from the ephemeral range.
   */
  public static int port() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
