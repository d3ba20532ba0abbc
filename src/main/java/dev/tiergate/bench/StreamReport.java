package dev.tiergate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Table and JSON for {@code bench stream}; with a direct arm, the last row is what the gateway adds. */
public final class StreamReport {
  private StreamReport() {}

  public static String table(List<StreamBench.ArmResult> arms) {
    TextTable t = new TextTable(List.of("arm", "streams", "ok", "failed", "stalled", "cut at end", "events/s", "TTFT p50 ms",
        "TTFT p99 ms", "relay p50 ms", "relay p99 ms", "CPU cores", "RSS peak MiB"));
    for (StreamBench.ArmResult a : arms) {
      t.row(List.of(a.name(), Integer.toString(a.streams()), Long.toString(a.completed()), Long.toString(a.failed()),
          Long.toString(a.stalled()), Long.toString(a.cut()), TextTable.num(a.eventsPerS()), ms(a.ttftUs().percentile(50)),
          ms(a.ttftUs().percentile(99)), ms(a.delayUs().percentile(50)), ms(a.delayUs().percentile(99)),
          TextTable.num(a.cpuCores()), TextTable.num(a.rssPeakMib())));
    }
    if (arms.size() == 2) {
      StreamBench.ArmResult d = arms.get(0);
      StreamBench.ArmResult g = arms.get(1);
      t.row(List.of("added", "", "", "", "", "", "", diff(g.ttftUs(), d.ttftUs(), 50), diff(g.ttftUs(), d.ttftUs(), 99),
          diff(g.delayUs(), d.delayUs(), 50), diff(g.delayUs(), d.delayUs(), 99), "", ""));
    }
    StringBuilder sb = new StringBuilder(t.render());
    for (StreamBench.ArmResult a : arms) {
      a.errors().forEach(e -> sb.append("error (").append(a.name()).append("): ").append(e).append('\n'));
      if (!a.rssTimeline().isEmpty()) {
        List<String> mib = new ArrayList<>();
        a.rssTimeline().forEach(v -> mib.add(TextTable.num(v)));
        sb.append("RSS MiB each second (").append(a.name()).append("): ").append(String.join(" ", mib)).append('\n');
      }
    }
    sb.append("relay = client receive time − the sim's sim_ts_us stamp (same machine clock; the direct arm is the "
        + "baseline). CPU and RSS are the --pid process over the measured window.\n");
    return sb.toString();
  }

  public static JsonObject json(List<StreamBench.ArmResult> arms) {
    JsonArray out = new JsonArray();
    for (StreamBench.ArmResult a : arms) {
      out.add(new JsonObject().put("arm", a.name()).put("streams", a.streams()).put("completed", a.completed())
          .put("failed", a.failed()).put("stalled", a.stalled()).put("cutAtEnd", a.cut()).put("eventsPerS", finite(a.eventsPerS()))
          .put("ttftP50Ms", finite(a.ttftUs().percentile(50) / 1000)).put("ttftP99Ms", finite(a.ttftUs().percentile(99) / 1000))
          .put("relayP50Ms", finite(a.delayUs().percentile(50) / 1000))
          .put("relayP99Ms", finite(a.delayUs().percentile(99) / 1000))
          .put("relaySamples", a.delayUs().seen()).put("cpuCores", finite(a.cpuCores()))
          .put("cpuSeconds", finite(a.cpuSeconds())).put("rssPeakMib", finite(a.rssPeakMib()))
          .put("vmHwmMib", finite(a.hwmMib())).put("errors", new JsonArray(a.errors()))
          .put("rssTimelineMib", new JsonArray(a.rssTimeline())));
    }
    return new JsonObject().put("arms", out);
  }

  private static String ms(double us) {
    return TextTable.num(us / 1000.0);
  }

  private static String diff(Samples g, Samples d, double p) {
    double v = (g.percentile(p) - d.percentile(p)) / 1000.0;
    return Double.isNaN(v) ? "n/a" : (v >= 0 ? "+" : "") + TextTable.num(v);
  }

  private static Double finite(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
  }
}
