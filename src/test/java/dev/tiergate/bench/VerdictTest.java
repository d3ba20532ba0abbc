package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictTest {
  private static final Verdict.Axis TTFT = new Verdict.Axis("TTFT ms", false);
  private static final Verdict.Axis DECODE = new Verdict.Axis("decode t/s", true);

  private static Stats.Summary s(double median, double min, double max) {
    return new Stats.Summary(median, min, max, 3);
  }

  @Test
  void lowerIsBetterForLatencyHigherForThroughput() {
    assertEquals("prefill", Verdict.winner(TTFT, Map.of("prefill", s(122, 120, 125), "max", s(158, 155, 160))));
    assertEquals("fast", Verdict.winner(DECODE, Map.of("fast", s(90, 88, 92), "max", s(69, 68, 70))));
  }

  @Test
  void noWinnerWhenTheLeadIsSmallOrTheRangesOverlap() {
    // 3% lead: below the minimum gap
    assertNull(Verdict.winner(DECODE, Map.of("fast", s(103, 102, 104), "max", s(100, 99, 101))));
    // 10% lead, but the repeats overlap
    assertNull(Verdict.winner(DECODE, Map.of("fast", s(110, 95, 120), "max", s(100, 90, 105))));
  }

  @Test
  void oneTierOrMissingValuesNeverWin() {
    assertNull(Verdict.winner(DECODE, Map.of("fast", s(90, 88, 92))));
    Map<String, Stats.Summary> m = new LinkedHashMap<>();
    m.put("fast", s(90, 88, 92));
    m.put("max", Stats.Summary.empty());
    assertNull(Verdict.winner(DECODE, m));
  }

  @Test
  void namesEachTiersAxesOrSaysNoneSetsItApart() {
    Map<Verdict.Axis, Map<String, Stats.Summary>> values = new LinkedHashMap<>();
    values.put(TTFT, Map.of("fast", s(150, 148, 152), "max", s(158, 156, 160), "prefill", s(122, 120, 124)));
    values.put(DECODE, Map.of("fast", s(90, 88, 92), "max", s(69, 68, 70), "prefill", s(62, 61, 63)));
    Map<String, List<String>> wins = Verdict.wins(values, List.of("fast", "max", "prefill"));
    assertEquals(List.of("decode t/s"), wins.get("fast"));
    assertEquals(List.of(), wins.get("max"));
    assertEquals(List.of("TTFT ms"), wins.get("prefill"));
    List<String> lines = Verdict.lines(wins);
    assertEquals("fast: wins decode t/s", lines.get(0));
    assertTrue(lines.get(1).startsWith("max: no measured axis sets it apart"));
  }

  @Test
  void aSingleTierIsNotComparedWithAnything() {
    List<String> lines = Verdict.lines(Map.of("engine", List.of()));
    assertTrue(lines.get(0).contains("only one tier"));
  }

  @Test
  void anAxisThatIsNotJudgedIsNeverWon() {
    Verdict.Axis longTtft = new Verdict.Axis("TTFT@90K ms", false, false);
    Map<Verdict.Axis, Map<String, Stats.Summary>> values = new LinkedHashMap<>();
    values.put(longTtft, Map.of("fast", s(900, 890, 910), "max", s(1800, 1790, 1810)));
    values.put(DECODE, Map.of("fast", s(90, 88, 92), "max", s(69, 68, 70)));
    assertEquals(List.of("decode t/s"), Verdict.wins(values, List.of("fast", "max")).get("fast"));
  }
}
