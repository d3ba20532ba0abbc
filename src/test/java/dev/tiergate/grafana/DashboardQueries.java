package dev.tiergate.grafana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Every PromQL expression of a Grafana dashboard, with Grafana's variables replaced by concrete values. */
final class DashboardQueries {
  /** One panel target: where it is (for messages) and its expression as Prometheus will get it. */
  record Query(String where, String raw, String promql) {}

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::[^}]*)?}|\\[\\[(\\w+)]]|\\$(\\w+)");

  final JsonNode dashboard;
  final Set<String> variables = new HashSet<>();

  DashboardQueries(Path file) throws IOException {
    dashboard = new ObjectMapper().readTree(file.toFile());
    for (JsonNode v : dashboard.path("templating").path("list")) {
      variables.add(v.path("name").asText());
    }
  }

  /** Every {@code expr} anywhere in the panels, including panels nested in collapsed rows. */
  List<Query> queries() {
    List<Query> out = new ArrayList<>();
    collect(dashboard.path("panels"), "", out);
    return out;
  }

  private void collect(JsonNode node, String where, List<Query> out) {
    if (node.isArray()) {
      for (JsonNode n : node) {
        collect(n, where, out);
      }
    } else if (node.isObject()) {
      String here = node.has("title") ? node.path("title").asText() : where;
      if (node.has("expr")) {
        String expr = node.path("expr").asText();
        out.add(new Query(here + " [" + node.path("refId").asText() + "]", expr, substitute(expr)));
      }
      node.fields().forEachRemaining(e -> collect(e.getValue(), here, out));
    }
  }

  /**
   * Grafana's interval macros become fixed windows wide enough for a 1 s scrape; a dashboard
   * variable becomes {@code .*} (the tier variable's "All"); an unknown {@code $name} is left in
   * place so Prometheus rejects the expression and the test names it.
   */
  String substitute(String expr) {
    Matcher m = VARIABLE.matcher(expr);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
      String value = switch (name) {
        case "__rate_interval", "__interval", "__range" -> "1m";
        case "__range_s" -> "60";
        default -> variables.contains(name) ? ".*" : m.group();
      };
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }
}
