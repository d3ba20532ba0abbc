package dev.tiergate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check-config} takes the file the way {@code serve} does ({@code --config FILE}, {@code -c FILE}) as well as bare. */
class CheckConfigFlagTest {
  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = CheckConfig.run(args, new PrintStream(out, true), new PrintStream(err, true));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void theConfigFlagWorksLikeTheBareFile() {
    Run bare = run("config/demo.yaml");
    assertEquals(0, bare.exit(), bare.err());
    for (String flag : new String[] {"--config", "-c"}) {
      Run flagged = run(flag, "config/demo.yaml");
      assertEquals(0, flagged.exit(), flag + ": " + flagged.err());
      assertEquals(bare.out(), flagged.out(), flag + " prints the same verdict");
      assertTrue(flagged.out().startsWith("OK: config/demo.yaml is valid"), flagged.out());
    }
  }

  @Test
  void theConfigFlagReportsAnInvalidFileTheSameWay(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, """
        routing: { defaultTier: nope }
        tiers:
          - name: fast
            backends: [{ name: a, url: "http://127.0.0.1:1", engine: vllm, model: m }]
        """);
    Run flagged = run("--config", f.toString());
    assertEquals(1, flagged.exit());
    assertTrue(flagged.err().startsWith("INVALID"), flagged.err());
    assertTrue(flagged.err().contains("routing.defaultTier"), flagged.err());
    assertEquals(run(f.toString()).err(), flagged.err());
  }

  @Test
  void aFlagWithoutAFileOrAnUnknownFlagIsAUsageError() {
    assertEquals(2, run("--config").exit());
    assertEquals(2, run("--file", "config/demo.yaml").exit());
    assertEquals(2, run("--config", "config/demo.yaml", "extra").exit());
    assertTrue(run("--config").err().contains("check-config --config FILE"), run("--config").err());
  }
}
