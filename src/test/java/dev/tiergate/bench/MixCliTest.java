package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixCliTest {
  @Test
  void flagsOverrideThePlan() {
    MixPlan p = BenchCli.mixPlan(BenchCli.flags(new String[] {"--quick", "--duration", "7", "--seed", "42", "--rate=0.25",
        "--configs", "rule,predicted", "--drain", "9"}));
    assertEquals(List.of(42L, 7, 0.25, List.of("rule", "predicted"), 9), List.of(p.seed(), p.durationS(), p.rate(), p.configs(),
        p.drainS()));
    assertEquals(MixShape.quick(), p.shape());
    MixPlan full = BenchCli.mixPlan(Map.of());
    assertEquals(MixShape.full(), full.shape());
    assertEquals(MixPlan.CONFIGS, full.configs());
    assertEquals(List.of("predicted", "predicted-completion"),
        BenchCli.mixPlan(BenchCli.flags(new String[] {"--configs", "predicted,predicted-completion"})).configs(),
        "the shipped configuration outside the default three runs when asked for");
  }

  @Test
  void badFlagsAreRefusedWithTheirName() {
    for (String[] bad : new String[][] {{"--configs", "rr,fastest"}, {"--rate", "0"}, {"--rate", "fast"}, {"--seed", "x"},
        {"--duration", "0"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchCli.mixPlan(BenchCli.flags(bad)));
      assertTrue(e.getMessage().contains(bad[0].substring(2)) || e.getMessage().contains("fastest"), e.getMessage());
    }
  }

  @Test
  void aConfigurationThatDoesNotStartFailsTheRunAndSaysWhich() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    MixBench.Rig broken = name -> {
      throw new IllegalStateException("config/mix/" + name + ".yaml: routing.mode: unknown routing mode");
    };
    int code = BenchCli.mix(Map.of("quick", "true", "configs", "predicted", "duration", "2"), broken,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, stderr);
    assertTrue(stderr.contains("configuration 'predicted' did not run: config/mix/predicted.yaml: routing.mode"), stderr);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("configuration predicted did not run"), "the report still prints");
  }
}
