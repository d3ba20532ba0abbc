package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.List;

/** The few SVG primitives the tier chart draws with, written into a caller's buffer; every string is escaped. */
final class SvgCanvas {
  /** Rough advance of one character at 1 px font size, generous so estimated widths never overlap. */
  static final double CHAR_EM = 0.6;

  private final StringBuilder out;

  SvgCanvas(StringBuilder out) {
    this.out = out;
  }

  void text(double x, double baseline, int size, String attrs, String content) {
    out.append("<text x=\"").append(Markup.px(x)).append("\" y=\"").append(Markup.px(baseline)).append("\" font-size=\"")
        .append(size).append('"').append(attrs.isEmpty() ? "" : " " + attrs).append('>').append(Markup.escape(content))
        .append("</text>");
  }

  void line(double x1, double y1, double x2, double y2, String colour, double width) {
    out.append("<line x1=\"").append(Markup.px(x1)).append("\" y1=\"").append(Markup.px(y1)).append("\" x2=\"")
        .append(Markup.px(x2)).append("\" y2=\"").append(Markup.px(y2)).append("\" stroke=\"").append(colour)
        .append("\" stroke-width=\"").append(Markup.px(width)).append("\"/>");
  }

  /** A 12 px square of a tier's colour, outlined so a light colour still shows on paper. */
  void swatch(double x, double top, String colour) {
    out.append("<rect x=\"").append(Markup.px(x)).append("\" y=\"").append(Markup.px(top))
        .append("\" width=\"12\" height=\"12\" fill=\"").append(colour).append("\" stroke=\"#111\" stroke-width=\"0.5\"/>");
  }

  /** An estimate: SVG cannot measure text before a renderer lays it out. */
  static int width(String s, int fontSize) {
    return (int) Math.ceil(s.length() * fontSize * CHAR_EM);
  }

  /** SVG text does not wrap: break at spaces so each line fits {@code widthPx}. */
  static List<String> wrap(String s, int fontSize, int widthPx) {
    int max = Math.max(8, (int) (widthPx / (fontSize * CHAR_EM)));
    List<String> lines = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String word : s.split(" ")) {
      if (cur.length() > 0 && cur.length() + 1 + word.length() > max) {
        lines.add(cur.toString());
        cur.setLength(0);
      }
      if (cur.length() > 0) {
        cur.append(' ');
      }
      cur.append(word.length() > max ? Markup.fit(word, max) : word);
    }
    lines.add(cur.toString());
    return lines;
  }
}
