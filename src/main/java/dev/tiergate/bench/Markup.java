package dev.tiergate.bench;

import java.util.Locale;

/** Text and numbers for the SVG and HTML reports. Tier names come from the gateway, so every string is escaped. */
final class Markup {
  private Markup() {}

  /** Escapes for element text and quoted attributes alike; characters XML 1.0 forbids become U+FFFD. */
  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> {
          if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            sb.append(c).append(s.charAt(++i));
          } else if (allowed(c)) {
            sb.append(c);
          } else {
            sb.append('\uFFFD');
          }
        }
      }
    }
    return sb.toString();
  }

  private static boolean allowed(char c) {
    if (c < 0x20) {
      return c == '\t' || c == '\n' || c == '\r';
    }
    return !Character.isSurrogate(c) && c != '\uFFFE' && c != '\uFFFF';
  }

  /** A coordinate: one decimal is finer than any screen or printer needs, and keeps the file small. */
  static String px(double v) {
    String s = String.format(Locale.ROOT, "%.1f", v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  /** A tick label: whole numbers with thousands separators, small values with up to two decimals. */
  static String tick(double v) {
    if (v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%,d", (long) v);
    }
    return String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "");
  }

  /** The names shown in a fixed width: long ones are cut with an ellipsis (the full name stays in a tooltip). */
  static String fit(String s, int maxChars) {
    return s.length() <= maxChars ? s : s.substring(0, Math.max(1, maxChars - 1)) + "…";
  }
}
