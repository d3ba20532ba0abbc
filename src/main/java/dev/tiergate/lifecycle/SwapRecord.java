package dev.tiergate.lifecycle;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** One swap as status shows it: from, to, why, each phase's duration, and how it ended. */
final class SwapRecord {
  final String from;
  final String to;
  final String trigger;
  final long startNanos = System.nanoTime();
  final Instant startedAt = Instant.now();
  final Map<String, Long> phases = new LinkedHashMap<>();
  private String phase;
  private long phaseStart = startNanos;
  String outcome;
  /** warm when the target was woken, cold when it was started. */
  String mode = "cold";
  String reason;
  long endNanos;

  SwapRecord(String from, String to, String trigger) {
    this.from = from;
    this.to = to;
    this.trigger = trigger;
  }

  void begin(String name) {
    end();
    phase = name;
    phaseStart = System.nanoTime();
  }

  private void end() {
    if (phase != null) {
      phases.merge(phase, System.nanoTime() - phaseStart, Long::sum);
      phase = null;
    }
  }

  void finish(String outcome, String reason) {
    end();
    this.outcome = outcome;
    this.reason = reason;
    this.endNanos = System.nanoTime();
  }

  String phase() {
    return phase;
  }

  long totalNanos() {
    return (endNanos == 0 ? System.nanoTime() : endNanos) - startNanos;
  }

  JsonObject json() {
    JsonObject p = new JsonObject();
    phases.forEach((k, v) -> p.put(k, v / 1_000_000));
    if (phase != null) {
      p.put(phase, (System.nanoTime() - phaseStart) / 1_000_000);
    }
    return new JsonObject().put("from", from).put("to", to).put("trigger", trigger).put("startedAt", startedAt.toString())
        .put("phase", phase).put("phasesMs", p).put("totalMs", totalNanos() / 1_000_000)
        .put("outcome", outcome == null ? "running" : outcome).put("reason", reason).put("mode", mode);
  }
}
