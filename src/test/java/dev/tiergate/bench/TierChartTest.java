package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TierChartTest {
  private static final TierBench.Plan PLAN = new TierBench.Plan(List.of(2_000, 5_000), 3, 1, 4, 48, 1_000);

  @Test
  void carriesEveryTierAndAxisWithTheReportsNumbers() throws Exception {
    TierBench.Report report = report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "max", new double[] {193, 2700, 6100, 1277, 1342, 69.1, 69.0},
        "prefill", new double[] {152, 1020, 2420, 1964, 2066, 62.1, 62.3}), List.of("fast", "max", "prefill"));
    Document svg = parse(TierChart.svg(report, "a caption"));

    assertEquals("svg", svg.getDocumentElement().getTagName());
    for (String tier : List.of("fast", "max", "prefill")) {
      assertNotNull(find(svg, "g", "legend", tier, null), "legend entry for " + tier);
    }
    for (Verdict.Axis a : report.axes()) {
      Element panel = panel(svg, a.name());
      assertEquals(a.higherIsBetter() ? "higher" : "lower", panel.getAttribute("data-better"));
      assertTrue(panel.getTextContent().contains(a.higherIsBetter() ? "higher is better" : "lower is better"), a.name());
      assertTrue(panel.getTextContent().contains(TierBench.unit(a.name())), "axis title with its unit: " + a.name());
      double perUnit = Double.NaN;
      for (TierBench.TierResult r : report.tiers()) {
        Stats.Summary s = r.axes().get(a.name());
        Element bar = find(svg, "g", "bar", r.tier(), a.name());
        assertNotNull(bar, r.tier() + " on " + a.name());
        assertEquals(s.median(), Double.parseDouble(bar.getAttribute("data-median")));
        assertEquals(s.min(), Double.parseDouble(bar.getAttribute("data-min")));
        assertEquals(s.max(), Double.parseDouble(bar.getAttribute("data-max")));
        assertTrue(child(bar, "text", "label").getTextContent().startsWith(TextTable.summary(s)),
            "label shows the table's cell: " + bar.getTextContent());
        // bars are drawn to scale: the same width per unit in every row of a panel
        double width = Double.parseDouble(child(bar, "rect", "value").getAttribute("width"));
        if (Double.isNaN(perUnit)) {
          perUnit = width / s.median();
        }
        assertEquals(perUnit, width / s.median(), perUnit * 0.002, r.tier() + " on " + a.name());
      }
    }
  }

  @Test
  void marksTheWinnerOfEachJudgedAxisAndNothingElse() throws Exception {
    TierBench.Report report = report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "max", new double[] {193, 900, 2000, 1277, 1342, 69.1, 69.0},
        "prefill", new double[] {152, 1020, 2420, 1964, 2066, 62.1, 62.3}), List.of("fast", "max", "prefill"));
    Document svg = parse(TierChart.svg(report, null));
    int marked = 0;
    for (Verdict.Axis a : report.axes()) {
      String winner = report.wins().entrySet().stream().filter(e -> e.getValue().contains(a.name())).map(Map.Entry::getKey)
          .findFirst().orElse("");
      assertEquals(winner, panel(svg, a.name()).getAttribute("data-winner"), a.name());
      for (TierBench.TierResult r : report.tiers()) {
        boolean best = child(find(svg, "g", "bar", r.tier(), a.name()), "tspan", "best") != null;
        assertEquals(r.tier().equals(winner), best, r.tier() + " on " + a.name());
        marked += best ? 1 : 0;
      }
    }
    // max has the lowest TTFT at the long prompts here, but those axes are not judged
    assertEquals("", panel(svg, "TTFT@2K ms").getAttribute("data-winner"));
    assertEquals(report.wins().values().stream().mapToInt(List::size).sum(), marked);
    assertTrue(marked > 0, "the fixture has winners");
    for (String line : Verdict.lines(report.wins())) {
      assertTrue(texts(svg).contains(line), "verdict line under the chart: " + line);
    }
  }

  @Test
  void aMissingCellSaysNoDataAndIsNotDrawnAsZero() throws Exception {
    double nan = Double.NaN;
    TierBench.Report report = report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "broken", new double[] {nan, nan, nan, nan, nan, 12, nan}), List.of("fast", "broken"));
    Document svg = parse(TierChart.svg(report, null));
    Element missing = find(svg, "g", "no-data", "broken", TierBench.TTFT);
    assertNotNull(missing);
    assertTrue(missing.getTextContent().contains(TierChart.NO_DATA), missing.getTextContent());
    assertNull(child(missing, "rect", "value"), "no bar for a missing value");
    assertFalse(missing.hasAttribute("data-median"));
    assertNull(find(svg, "g", "bar", "broken", TierBench.TTFT));
    assertNotNull(find(svg, "g", "bar", "broken", TierBench.PROSE), "its one value is still drawn");

    Document html = parse(TierPage.html(report, null));
    Element row = byAttr(html, "tr", "data-tier", "broken");
    List<String> cells = new ArrayList<>();
    NodeList tds = row.getElementsByTagName("td");
    for (int i = 0; i < tds.getLength(); i++) {
      cells.add(tds.item(i).getTextContent());
    }
    assertEquals(TierChart.NO_DATA, cells.get(0));
    assertEquals(6, cells.stream().filter(TierChart.NO_DATA::equals).count(), cells.toString());
    assertEquals(TextTable.summary(report.tiers().get(1).axes().get(TierBench.PROSE)), cells.get(5));
  }

  @Test
  void escapesTierNamesAndNotes() throws Exception {
    String name = "x<y&\"z'\u0001>";
    TierBench.Report report = report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        name, new double[] {152, 1020, 2420, 1964, 2066, 62.1, 62.3}), List.of("fast", name), "HTTP 503: <b>down</b> & out");
    String clean = "x<y&\"z'\uFFFD>";
    String svgText = TierChart.svg(report, "caption with <tags> & \"quotes\"");
    Document svg = parse(svgText);
    assertNotNull(find(svg, "g", "legend", clean, null), svgText);
    assertNotNull(find(svg, "g", "bar", clean, TierBench.TTFT));
    assertTrue(texts(svg).stream().anyMatch(t -> t.contains("<b>down</b> & out")), "the note is text, not markup");
    assertTrue(texts(svg).contains("caption with <tags> & \"quotes\""));

    Document html = parse(TierPage.html(report, "caption with <tags>"));
    assertNotNull(byAttr(html, "tr", "data-tier", clean));
    assertEquals(0, html.getElementsByTagName("b").getLength(), "a note cannot inject elements");
  }

  @Test
  void thePageIsStandaloneWithTheChartAndTheTable() throws Exception {
    TierBench.Report report = report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "prefill", new double[] {152, 1020, 2420, 1964, 2066, 62.1, 62.3}), List.of("fast", "prefill"));
    Document html = parse(TierPage.html(report, "run of today"));
    assertEquals(1, html.getElementsByTagName("svg").getLength());
    assertEquals(report.tiers().size(), ((Element) html.getElementsByTagName("tbody").item(0)).getElementsByTagName("tr")
        .getLength());
    assertEquals(0, html.getElementsByTagName("script").getLength());
    assertEquals(0, html.getElementsByTagName("link").getLength());
    assertEquals(0, html.getElementsByTagName("img").getLength());
    NodeList all = html.getElementsByTagName("*");
    for (int i = 0; i < all.getLength(); i++) {
      Element e = (Element) all.item(i);
      assertFalse(e.hasAttribute("src") || e.hasAttribute("href"), "no external resource: " + e.getTagName());
    }
    for (String line : Verdict.lines(report.wins())) {
      assertTrue(html.getDocumentElement().getTextContent().contains(line), line);
    }
  }

  @Test
  void theChartShowsTheFirstNotesAndThePageListsThemAll() throws Exception {
    String[] notes = {"n1", "n2", "n3", "n4", "n5", "n6"};
    TierBench.Report report = report(Map.of(
        "fast", new double[] {196, 2600, 5900, 1313, 1391, 77.5, 80.2},
        "max", new double[] {193, 2700, 6100, 1277, 1342, 69.1, 69.0}), List.of("fast", "max"), notes);
    List<String> drawn = texts(parse(TierChart.svg(report, null))).stream().filter(t -> t.matches("(fast|max): n\\d")).toList();
    assertEquals(TierChart.MAX_NOTES, drawn.size(), drawn.toString());
    assertTrue(texts(parse(TierChart.svg(report, null))).contains("… 2 more in the HTML and JSON reports"));
    Document html = parse(TierPage.html(report, null));
    Element list = byAttr(html, "ul", "class", "notes");
    assertEquals(12, list.getElementsByTagName("li").getLength());
  }

  @Test
  void scalesEndOnARoundNumberPastTheLargestValue() {
    ChartScale s = ChartScale.upTo(2066, 5);
    assertEquals(2500, s.max());
    assertEquals(List.of(0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0), s.ticks());
    assertEquals(3000, ChartScale.upTo(2066, 3).max(), "fewer intervals, coarser steps");
    assertEquals(100, ChartScale.upTo(80.2, 5).max());
    assertEquals(1, ChartScale.upTo(Double.NaN, 5).max(), "an axis with no data still has a scale");
    assertEquals(0.5, ChartScale.upTo(1000, 5).fraction(500));
  }

  // --- fixtures and DOM helpers, shared with the end-to-end test

  /**
   * A report over {@link #PLAN}'s axes, values in axis order (NaN: no data). The ranges are lopsided, and more
   * so for each later tier, so a chart drawing the range instead of the median shows in bar widths.
   */
  static TierBench.Report report(Map<String, double[]> values, List<String> order, String... notes) {
    List<Verdict.Axis> axes = TierBench.axes(PLAN);
    List<TierBench.TierResult> results = new ArrayList<>();
    for (String tier : order) {
      Map<String, Stats.Summary> m = new LinkedHashMap<>();
      double[] v = values.get(tier);
      double up = 1.01 + 0.02 * results.size();
      for (int i = 0; i < axes.size(); i++) {
        m.put(axes.get(i).name(), Double.isNaN(v[i]) ? Stats.Summary.empty() : new Stats.Summary(v[i], v[i] * 0.98, v[i] * up, 3));
      }
      results.add(new TierBench.TierResult(tier, m, Map.of(), List.of(notes)));
    }
    Map<Verdict.Axis, Map<String, Stats.Summary>> byAxis = new LinkedHashMap<>();
    for (Verdict.Axis a : axes) {
      Map<String, Stats.Summary> m = new LinkedHashMap<>();
      results.forEach(r -> m.put(r.tier(), r.axes().get(a.name())));
      byAxis.put(a, m);
    }
    return new TierBench.Report(results, axes, Verdict.wins(byAxis, order));
  }

  static Document parse(String xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  static Element panel(Document d, String axis) {
    Element p = byAttr(d, "g", "data-axis", axis, "panel");
    assertNotNull(p, "panel for " + axis);
    return p;
  }

  /** The {@code <tag class=cls>} with that data-tier (and data-axis, unless null), or null. */
  static Element find(Document d, String tag, String cls, String tier, String axis) {
    NodeList n = d.getElementsByTagName(tag);
    for (int i = 0; i < n.getLength(); i++) {
      Element e = (Element) n.item(i);
      if (e.getAttribute("class").equals(cls) && e.getAttribute("data-tier").equals(tier)
          && (axis == null || e.getAttribute("data-axis").equals(axis))) {
        return e;
      }
    }
    return null;
  }

  static Element child(Element parent, String tag, String cls) {
    NodeList n = parent.getElementsByTagName(tag);
    for (int i = 0; i < n.getLength(); i++) {
      Element e = (Element) n.item(i);
      if (e.getAttribute("class").equals(cls)) {
        return e;
      }
    }
    return null;
  }

  static List<String> texts(Document d) {
    List<String> out = new ArrayList<>();
    NodeList n = d.getElementsByTagName("text");
    for (int i = 0; i < n.getLength(); i++) {
      out.add(n.item(i).getTextContent());
    }
    return out;
  }

  private static Element byAttr(Document d, String tag, String attr, String value, String... cls) {
    NodeList n = d.getElementsByTagName(tag);
    for (int i = 0; i < n.getLength(); i++) {
      Element e = (Element) n.item(i);
      if (e.getAttribute(attr).equals(value) && (cls.length == 0 || e.getAttribute("class").equals(cls[0]))) {
        return e;
      }
    }
    return null;
  }
}
