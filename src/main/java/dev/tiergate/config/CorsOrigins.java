package dev.tiergate.config;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks {@code server.cors.allowOrigins} against the form a browser sends in {@code Origin}
 * (scheme, host and a port only when it is not the scheme's default, in lower case): the gateway
 * compares exactly, so an entry in any other spelling would never match and fail silently.
 */
final class CorsOrigins {
  private static final Pattern ORIGIN = Pattern.compile("([a-z][a-z0-9+.-]*)://(\\[[0-9a-f:.]+]|[a-z0-9._~-]+)(?::([0-9]{1,5}))?");

  private CorsOrigins() {}

  static void check(String at, CorsConfig c, List<String> problems) {
    List<String> origins = c.allowOrigins();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < origins.size(); i++) {
      String o = origins.get(i);
      String where = at + ".allowOrigins[" + i + "]";
      String why = "*".equals(o) && origins.size() > 1 ? "'*' allows every origin, so it must be the only entry"
          : "*".equals(o) ? null : problem(o);
      if (why != null) {
        problems.add(where + ": " + why);
      } else if (!seen.add(o)) {
        problems.add(where + ": '" + o + "' is listed twice");
      }
    }
    if (c.maxAgeSeconds() < 0 || c.maxAgeSeconds() > 86_400) {
      problems.add(at + ".maxAgeSeconds: must be 0..86400, got " + c.maxAgeSeconds());
    }
  }

  /** Why {@code o} is not an origin a browser could send, or null when it is one. */
  static String problem(String o) {
    String example = " (e.g. https://chat.example.com or http://localhost:5173), or \"*\" alone";
    if (o == null || o.isBlank()) {
      return "must be an origin" + example;
    }
    if (o.equals("null")) {
      return "'null' is the origin of sandboxed frames and file:// pages, which any site can create; it cannot be allowed";
    }
    int sep = o.indexOf("://");
    if (sep <= 0) {
      return "must be scheme://host[:port]" + example + ", got '" + o + "'";
    }
    int tail = firstOf(o, sep + 3, "/?#");
    if (tail >= 0) {
      return "an origin has no path, query or trailing slash (browsers send none), so '" + o + "' would never match; write '"
          + o.substring(0, tail) + "'";
    }
    String lower = o.toLowerCase(Locale.ROOT);
    Matcher m = ORIGIN.matcher(lower);
    if (!m.matches()) {
      return o.indexOf('*') >= 0 ? "wildcards inside an origin are not supported; list each origin, or use \"*\" alone, got '" + o + "'"
          : o.indexOf('@') >= 0 ? "an origin has no user name or password, got '" + o + "'"
          : "must be scheme://host[:port] with an ASCII host (punycode for other names)" + example + ", got '" + o + "'";
    }
    String port = m.group(3);
    if (port != null && Integer.parseInt(port) > 65_535) {
      return "port " + port + " is out of range in '" + o + "'";
    }
    if (port != null && (m.group(1).equals("https") && port.equals("443") || m.group(1).equals("http") && port.equals("80"))) {
      return "browsers leave the default port out of Origin, so '" + o + "' would never match; write '"
          + m.group(1) + "://" + m.group(2) + "'";
    }
    if (!lower.equals(o)) {
      return "browsers send origins in lower case, so '" + o + "' would never match; write '" + lower + "'";
    }
    return null;
  }

  private static int firstOf(String s, int from, String chars) {
    for (int i = from; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}
