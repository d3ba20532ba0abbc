package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trade-space of a {@link TierBench.Report} as a standalone SVG: one panel per axis (small multiples),
 * one bar per tier, the median labelled with its spread, the range of repeats as a whisker, the winner of
 * each axis marked, and the verdict in words underneath. Hand-written so it needs no library to make and
 * nothing but a browser or a printer to read; the data-* attributes let tests and scripts read it back.
 */
final class TierChart {
  /**
   * Paul Tol's high-contrast scheme first (dark blue, yellow, red: told apart by colour-blind readers and, by
   * lightness, in grey print), then his bright scheme for a fourth tier on. Tiers are named on every row too.
   */
  static final String[] COLOURS = {"#004488", "#DDAA33", "#BB5566", "#228833", "#66CCEE", "#AA3377", "#BBBBBB", "#000000"};
  static final String NO_DATA = "no data";
  /** Notes drawn under the chart; the HTML page lists them all when there are more. */
  static final int MAX_NOTES = 10;
  private static final int WIDTH = 1000;
  private static final int MARGIN = 24;
  private static final int TEXT_WIDTH = WIDTH - 2 * MARGIN - 20;
  private static final int GAP = 28;
  private static final int ROW = 26;
  private static final int BAR = 16;
  private static final int PANEL_HEAD = 46;
  private static final int PANEL_FOOT = 44;
  private static final int VALUE_ROOM = 140;
  private static final String FONT = "Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif";

  private final TierBench.Report report;
  private final List<String> tiers;
  private final int panelWidth = (WIDTH - 2 * MARGIN - GAP) / 2;
  private final int labelWidth;
  private final StringBuilder out = new StringBuilder(16_384);
  private final SvgCanvas svg = new SvgCanvas(out);
  private int y;

  private TierChart(TierBench.Report report) {
    this.report = report;
    this.tiers = report.tiers().stream().map(TierBench.TierResult::tier).toList();
    int longest = tiers.stream().mapToInt(String::length).max().orElse(4);
    this.labelWidth = (int) Math.ceil(Math.min(150, Math.max(48, (Math.min(longest, 24) + 1) * 13 * SvgCanvas.CHAR_EM)));
  }

  /** A standalone SVG file. {@code caption} (what was measured, when) may be null. */
  static String svg(TierBench.Report report, String caption) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + element(report, caption);
  }

  /** The {@code <svg>} element alone, for embedding in HTML. */
  static String element(TierBench.Report report, String caption) {
    return new TierChart(report).draw(caption);
  }

  static String colour(int tierIndex) {
    return COLOURS[tierIndex % COLOURS.length];
  }

  private String draw(String caption) {
    y = MARGIN;
    header(caption);
    legend();
    int panelHeight = PANEL_HEAD + tiers.size() * ROW + PANEL_FOOT;
    for (List<Verdict.Axis> row : TierBench.rows(report.axes())) {
      for (int i = 0; i < row.size(); i++) {
        panel(row.get(i), MARGIN + i * (panelWidth + GAP), y);
      }
      y += panelHeight + 18;
    }
    y += 6;
    verdict();
    notes();
    footnote();
    int height = y + MARGIN;
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + WIDTH + "\" height=\"" + height + "\" viewBox=\"0 0 "
        + WIDTH + " " + height + "\" role=\"img\" aria-labelledby=\"tg-title\" font-family=\"" + FONT + "\" fill=\"#111\">\n"
        + "<title id=\"tg-title\">tiergate bench tiers: " + Markup.escape(String.join(", ", tiers)) + "</title>\n"
        + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n" + out + "</svg>\n";
  }

  private void header(String caption) {
    svg.text(MARGIN, y + 20, 22, "font-weight=\"bold\"", "Tier trade-space");
    y += 30;
    if (caption != null && !caption.isBlank()) {
      for (String line : SvgCanvas.wrap(caption, 12, TEXT_WIDTH)) {
        svg.text(MARGIN, y + 14, 12, "fill=\"#444\"", line);
        y += 16;
      }
    }
    y += 6;
  }

  private void legend() {
    int x = MARGIN;
    for (int i = 0; i < tiers.size(); i++) {
      String name = Markup.fit(tiers.get(i), 40);
      int w = 18 + SvgCanvas.width(name, 13) + 22;
      if (x + w > WIDTH - MARGIN && x > MARGIN) {
        x = MARGIN;
        y += 20;
      }
      out.append("<g class=\"legend\" data-tier=\"").append(Markup.escape(tiers.get(i))).append("\">");
      svg.swatch(x, y + 3, colour(i));
      svg.text(x + 18, y + 14, 13, "", name);
      out.append("</g>\n");
      x += w;
    }
    y += 34;
  }

  private void panel(Verdict.Axis axis, int px, int py) {
    Map<String, Stats.Summary> values = valuesOf(axis);
    String winner = axis.judged() ? Verdict.winner(axis, values) : null;
    out.append("<g class=\"panel\" data-axis=\"").append(Markup.escape(axis.name())).append("\" data-better=\"")
        .append(axis.higherIsBetter() ? "higher" : "lower").append("\" data-winner=\"")
        .append(winner == null ? "" : Markup.escape(winner)).append("\">\n");
    svg.text(px, py + 16, 15, "font-weight=\"bold\"", TierBench.title(axis.name()));
    svg.text(px, py + 34, 12, "fill=\"#333\"", judgement(axis, values, winner));
    int plotX = px + labelWidth + 10;
    int plotWidth = panelWidth - labelWidth - 10 - VALUE_ROOM;
    int top = py + PANEL_HEAD;
    int bottom = top + tiers.size() * ROW;
    ChartScale scale = scale(values, plotWidth);
    for (double t : scale.ticks()) {
      double x = plotX + scale.fraction(t) * plotWidth;
      svg.line(x, top - 2, x, bottom, t == 0 ? "#555" : "#d6d6d6", 1);
      svg.text(x, bottom + 14, 11, "text-anchor=\"middle\" fill=\"#444\"", Markup.tick(t));
    }
    svg.text(plotX + plotWidth / 2.0, bottom + 32, 12, "text-anchor=\"middle\" fill=\"#222\"",
        TierBench.unit(axis.name()) + "   (column " + axis.name() + ")");
    for (int i = 0; i < tiers.size(); i++) {
      row(axis, i, values.get(tiers.get(i)), tiers.get(i).equals(winner), clipped(axis, tiers.get(i)), plotX, plotWidth,
          top + i * ROW, scale);
    }
    out.append("</g>\n");
  }

  /** Up to 5 intervals, fewer when the tick labels would touch in a narrow plot. */
  private static ChartScale scale(Map<String, Stats.Summary> values, int plotWidth) {
    double largest = values.values().stream().filter(s -> !s.isEmpty()).mapToDouble(s -> Math.max(s.median(), s.max()))
        .max().orElse(Double.NaN);
    ChartScale scale = ChartScale.upTo(largest, 5);
    for (int intervals = 4; intervals >= 1; intervals--) {
      double spacing = plotWidth * scale.step() / scale.max();
      if (spacing >= SvgCanvas.width(Markup.tick(scale.max()), 11) + 10) {
        break;
      }
      scale = ChartScale.upTo(largest, intervals);
    }
    return scale;
  }

  private static String judgement(Verdict.Axis axis, Map<String, Stats.Summary> values, String winner) {
    String better = axis.higherIsBetter() ? "higher is better" : "lower is better";
    if (!axis.judged()) {
      return better + " · shown, not judged (prefill t/s at this prompt is)";
    }
    if (winner != null) {
      return better + " · best: " + Markup.fit(winner, 30);
    }
    long measured = values.values().stream().filter(s -> !s.isEmpty()).count();
    return better + (measured < 2 ? " · fewer than two tiers measured" : " · no clear winner (< 5% apart or repeats overlap)");
  }

  private void row(Verdict.Axis axis, int index, Stats.Summary s, boolean winner, boolean clipped, int plotX, int plotWidth,
      int rowTop, ChartScale scale) {
    String tier = tiers.get(index);
    double mid = rowTop + ROW / 2.0;
    boolean empty = s == null || s.isEmpty();
    out.append("<g class=\"").append(empty ? "no-data" : "bar").append("\" data-tier=\"").append(Markup.escape(tier))
        .append("\" data-axis=\"").append(Markup.escape(axis.name())).append('"');
    if (!empty) {
      out.append(" data-median=\"").append(s.median()).append("\" data-min=\"").append(s.min()).append("\" data-max=\"")
          .append(s.max()).append("\" data-n=\"").append(s.n()).append('"');
    }
    out.append(">");
    String label = Markup.fit(tier, (int) Math.round(labelWidth / (13 * SvgCanvas.CHAR_EM)) - 1);
    out.append("<title>").append(Markup.escape(tier)).append("</title>");
    svg.text(plotX - 8, mid + 4.5, 13, "text-anchor=\"end\"", label);
    if (empty) {
      svg.text(plotX + 6, mid + 4.5, 13, "font-style=\"italic\" fill=\"#555\"", NO_DATA);
      out.append("</g>\n");
      return;
    }
    double end = plotX + scale.fraction(s.median()) * plotWidth;
    out.append("<rect class=\"value\" x=\"").append(plotX).append("\" y=\"").append(Markup.px(mid - BAR / 2.0))
        .append("\" width=\"").append(Markup.px(end - plotX)).append("\" height=\"").append(BAR).append("\" fill=\"")
        .append(colour(index)).append('"').append(winner ? " stroke=\"#000\" stroke-width=\"2\"" : "").append("/>");
    double far = end;
    if (s.n() > 1 && s.max() > s.min()) {
      double lo = plotX + scale.fraction(s.min()) * plotWidth;
      far = plotX + scale.fraction(s.max()) * plotWidth;
      svg.line(lo, mid, far, mid, "#111", 1.5);
      svg.line(lo, mid - 5, lo, mid + 5, "#111", 1.5);
      svg.line(far, mid - 5, far, mid + 5, "#111", 1.5);
    }
    out.append("<text class=\"label\" x=\"").append(Markup.px(Math.max(end, far) + 6)).append("\" y=\"")
        .append(Markup.px(mid + 4.5)).append("\" font-size=\"13\">").append(Markup.escape(TextTable.summary(s)))
        .append(clipped ? " †" : "");
    if (winner) {
      // dx, not a leading space: renderers may drop white space at the start of a tspan
      out.append("<tspan class=\"best\" dx=\"6\" font-weight=\"bold\">★ best</tspan>");
    }
    out.append("</text></g>\n");
  }

  /** A prompt well below the other tiers' on the same axis was clipped to the tier's window: not comparable. */
  private boolean clipped(Verdict.Axis axis, String tier) {
    int most = report.tiers().stream().mapToInt(r -> r.depths().getOrDefault(axis.name(), 0)).max().orElse(0);
    int own = report.tiers().stream().filter(r -> r.tier().equals(tier))
        .mapToInt(r -> r.depths().getOrDefault(axis.name(), 0)).findFirst().orElse(0);
    return own > 0 && own < most * 0.9;
  }

  private void verdict() {
    svg.text(MARGIN, y + 16, 16, "font-weight=\"bold\"", "Verdict");
    y += 26;
    List<String> lines = Verdict.lines(report.wins());
    for (int i = 0; i < lines.size(); i++) {
      out.append("<g class=\"verdict\">");
      svg.swatch(MARGIN, y + 3, colour(i));
      for (String part : SvgCanvas.wrap(lines.get(i), 14, TEXT_WIDTH)) {
        svg.text(MARGIN + 20, y + 14, 14, "", part);
        y += 19;
      }
      out.append("</g>\n");
    }
    y += 8;
  }

  private void notes() {
    List<String> notes = new ArrayList<>();
    report.tiers().forEach(r -> r.notes().forEach(n -> notes.add(r.tier() + ": " + n)));
    if (notes.isEmpty()) {
      return;
    }
    svg.text(MARGIN, y + 14, 13, "font-weight=\"bold\"", "Notes");
    y += 20;
    int shown = 0;
    for (String n : notes) {
      if (shown == MAX_NOTES) {
        svg.text(MARGIN, y + 12, 12, "fill=\"#333\"", "… " + (notes.size() - shown) + " more in the HTML and JSON reports");
        y += 16;
        break;
      }
      for (String part : SvgCanvas.wrap(n, 12, TEXT_WIDTH)) {
        svg.text(MARGIN, y + 12, 12, "class=\"note\" fill=\"#333\"", part);
        y += 16;
      }
      shown++;
    }
    y += 6;
  }

  private void footnote() {
    String f = "Bars: median over repeats; whiskers: lowest to highest repeat; ±: half that range, relative to the median. "
        + "TTFT and prefill are measured on the client, so they include the gateway and loopback. Best: leads the "
        + "runner-up by at least " + Math.round(Verdict.MIN_GAP * 100) + "% and their repeats do not overlap. "
        + "†: prompt clipped to the tier's context window, so not comparable. No data: the tier produced no value.";
    for (String part : SvgCanvas.wrap(f, 12, TEXT_WIDTH)) {
      svg.text(MARGIN, y + 12, 12, "fill=\"#444\"", part);
      y += 16;
    }
  }

  private Map<String, Stats.Summary> valuesOf(Verdict.Axis axis) {
    Map<String, Stats.Summary> m = new LinkedHashMap<>();
    report.tiers().forEach(r -> m.put(r.tier(), r.axes().getOrDefault(axis.name(), Stats.Summary.empty())));
    return m;
  }
}
