package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void rendersAnAlignedMarkdownTable() {
    String out = new TextTable(List.of("tier", "TTFT ms")).row(List.of("prefill", "122")).row(List.of("max", "1580"))
        .render();
    assertEquals("""
        | tier    | TTFT ms |
        | ------- | ------: |
        | prefill |     122 |
        | max     |    1580 |
        """, out);
  }

  @Test
  void rejectsRowsOfTheWrongWidth() {
    TextTable t = new TextTable(List.of("a", "b"));
    assertThrows(IllegalArgumentException.class, () -> t.row(List.of("1")));
  }

  @Test
  void numbersKeepThreeSignificantFiguresAndSummariesShowSpread() {
    assertEquals("2062", TextTable.num(2062.4));
    assertEquals("77.4", TextTable.num(77.43));
    assertEquals("0.12", TextTable.num(0.123));
    assertEquals("n/a", TextTable.num(Double.NaN));
    assertEquals("100 ±10%", TextTable.summary(new Stats.Summary(100, 90, 110, 3)));
    assertEquals("100", TextTable.summary(new Stats.Summary(100, 100, 100, 1)));
    assertEquals("n/a", TextTable.summary(Stats.Summary.empty()));
  }
}
