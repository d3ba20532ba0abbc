package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with right-aligned numbers, for terminals and Markdown alike. */
public final class TextTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public TextTable(List<String> header) {
    this.header = List.copyOf(header);
  }

  public TextTable row(List<String> cells) {
    if (cells.size() != header.size()) {
      throw new IllegalArgumentException("row has " + cells.size() + " cells, header has " + header.size());
    }
    rows.add(List.copyOf(cells));
    return this;
  }

  public int rowCount() {
    return rows.size();
  }

  /** Markdown pipe table; columns padded so it also reads well as plain text. */
  public String render() {
    int[] w = new int[header.size()];
    for (int c = 0; c < w.length; c++) {
      w[c] = Math.max(3, header.get(c).length());
      for (List<String> r : rows) {
        w[c] = Math.max(w[c], r.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, header, w, false);
    sb.append('|');
    for (int c = 0; c < w.length; c++) {
      sb.append(c == 0 ? ' ' : ' ').append("-".repeat(w[c] - (c == 0 ? 0 : 1))).append(c == 0 ? " |" : ": |");
    }
    sb.append('\n');
    for (List<String> r : rows) {
      line(sb, r, w, true);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> cells, int[] w, boolean alignNumbers) {
    sb.append('|');
    for (int c = 0; c < w.length; c++) {
      String s = cells.get(c);
      String pad = " ".repeat(w[c] - s.length());
      sb.append(' ');
      if (c > 0 && alignNumbers) {
        sb.append(pad).append(s);
      } else {
        sb.append(s).append(pad);
      }
      sb.append(" |");
    }
    sb.append('\n');
  }

  /** A number with a unit-free, width-stable rendering: 3 significant figures for small values. */
  public static String num(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 100) {
      return String.format("%.0f", v);
    }
    if (a >= 10) {
      return String.format("%.1f", v);
    }
    return String.format("%.2f", v);
  }

  /** "median ±spread%" for a summary of repeats. */
  public static String summary(Stats.Summary s) {
    if (s.isEmpty()) {
      return "n/a";
    }
    if (s.n() < 2) {
      return num(s.median());
    }
    return num(s.median()) + " ±" + Math.round(s.spread() * 100) + "%";
  }
}
