package dev.tiergate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckConfigTest {
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  int run(String... args) {
    return CheckConfig.run(args, new PrintStream(out, true), new PrintStream(err, true));
  }

  @Test
  void aValidFileExitsZeroWithASummary() {
    assertEquals(0, run("config/demo.yaml"));
    assertTrue(out.toString().contains("OK: config/demo.yaml is valid"), out.toString());
    assertTrue(out.toString().contains("tier prefill (W8A8): 1 backend(s)"), out.toString());
  }

  @Test
  void anInvalidFileExitsOneAndListsEveryProblemWithItsPath(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, """
        routing: { defaultTier: fast, rules: [{ name: r, when: { promptTokensAtLeast: 1 }, tier: nope }] }
        tiers:
          - name: fast
            backends: [{ name: a, url: "not a url", engine: vllm, model: m }]
        """);
    assertEquals(1, run(f.toString()));
    String e = err.toString();
    assertTrue(e.startsWith("INVALID"), e);
    assertTrue(e.contains("routing.rules[0].tier: unknown tier 'nope'"), e);
    assertTrue(e.contains("tiers[0].backends[0].url"), e);
  }

  @Test
  void aMissingFileIsInvalidNotACrash() {
    assertEquals(1, run("/nonexistent/tiergate.yaml"));
    assertTrue(err.toString().contains("cannot read file"), err.toString());
  }

  @Test
  void usageErrorExitsTwo() {
    assertEquals(2, run());
  }
}
