package dev.tiergate.bench;

import java.util.List;

/**
 * The report as one standalone HTML page: the chart's SVG inline (with the verdict and notes) and the table.
 * Plain HTML and CSS with no external resource, so it opens offline, mails as one file and prints as is.
 * Written well-formed (polyglot HTML) so the tests can read it with an XML parser.
 */
final class TierPage {
  private static final String STYLE = """
      body { font-family: Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif; color: #111; margin: 24px;
        max-width: 1000px; }
      h1 { font-size: 22px; margin: 0 0 4px; }
      h2 { font-size: 16px; margin: 24px 0 8px; }
      .caption, .foot { color: #444; font-size: 13px; }
      svg { max-width: 100%; height: auto; }
      table { border-collapse: collapse; font-size: 14px; }
      th, td { border: 1px solid #bbb; padding: 4px 8px; }
      th { background: #f0f0f0; text-align: left; }
      tbody th { white-space: nowrap; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
      td.none { color: #555; font-style: italic; }
      td.best { font-weight: bold; }
      .swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #111; margin-right: 6px;
        vertical-align: -1px; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
      @media print { body { margin: 0; } svg { page-break-inside: avoid; } }
      """;

  private TierPage() {}

  static String html(TierBench.Report report, String caption) {
    StringBuilder sb = new StringBuilder(32_768);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
        .append("<title>tiergate bench tiers</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n")
        .append("<h1>tiergate bench tiers</h1>\n");
    if (caption != null && !caption.isBlank()) {
      sb.append("<p class=\"caption\">").append(Markup.escape(caption)).append("</p>\n");
    }
    sb.append(TierChart.element(report, null));
    sb.append("<h2>Table</h2>\n");
    table(sb, report);
    if (report.tiers().stream().mapToInt(r -> r.notes().size()).sum() > TierChart.MAX_NOTES) {
      notes(sb, report);
    }
    sb.append("<p class=\"foot\">Cells: median ± half the range of the repeats, relative to the median. TTFT and prefill are "
        + "measured on the client, so they include the gateway and loopback. TTFT@NK columns are shown, not judged: "
        + "prefill t/s at the same prompt is the same measurement per token. No data: the tier produced no value.</p>\n");
    sb.append("</body>\n</html>\n");
    return sb.toString();
  }

  private static void table(StringBuilder sb, TierBench.Report report) {
    sb.append("<table>\n<thead><tr><th scope=\"col\">tier</th>");
    for (Verdict.Axis a : report.axes()) {
      sb.append("<th scope=\"col\">").append(Markup.escape(a.name())).append("<br/><small>")
          .append(a.higherIsBetter() ? "higher is better" : "lower is better").append("</small></th>");
    }
    sb.append("<th scope=\"col\">wins</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < report.tiers().size(); i++) {
      TierBench.TierResult r = report.tiers().get(i);
      List<String> wins = report.wins().getOrDefault(r.tier(), List.of());
      sb.append("<tr data-tier=\"").append(Markup.escape(r.tier())).append("\"><th scope=\"row\"><span class=\"swatch\" ")
          .append("style=\"background:").append(TierChart.colour(i)).append("\"></span>").append(Markup.escape(r.tier()))
          .append("</th>");
      for (Verdict.Axis a : report.axes()) {
        Stats.Summary s = r.axes().getOrDefault(a.name(), Stats.Summary.empty());
        if (s.isEmpty()) {
          sb.append("<td class=\"none\">").append(TierChart.NO_DATA).append("</td>");
        } else {
          sb.append("<td class=\"num").append(wins.contains(a.name()) ? " best" : "").append("\">")
              .append(Markup.escape(TextTable.summary(s))).append("</td>");
        }
      }
      sb.append("<td>").append(Markup.escape(wins.isEmpty() ? "-" : String.join(", ", wins))).append("</td></tr>\n");
    }
    sb.append("</tbody>\n</table>\n");
  }

  /** The chart shows the verdict and the first notes; a long list of notes is given here in full. */
  private static void notes(StringBuilder sb, TierBench.Report report) {
    sb.append("<h2>All notes</h2>\n<ul class=\"notes\">\n");
    for (TierBench.TierResult r : report.tiers()) {
      for (String n : r.notes()) {
        sb.append("<li>").append(Markup.escape(r.tier() + ": " + n)).append("</li>\n");
      }
    }
    sb.append("</ul>\n");
  }
}
