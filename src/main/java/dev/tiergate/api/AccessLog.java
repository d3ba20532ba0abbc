package dev.tiergate.api;

import dev.tiergate.config.AccessLogFormat;
import dev.tiergate.metrics.Sample;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code server.accessLog}: one INFO line per request on the logger {@code dev.tiergate.access},
 * written once its record is complete. Fields in a fixed order, {@code -} (or JSON null) when not
 * known; nothing from the body, and the key by its configured name only.
 *
 * <p>The event loop only formats the line and offers it to a bounded queue; one daemon thread
 * writes it, since a log handler may block (a slow pipe or disk). When the queue is full the line
 * is dropped and counted, and the writer says how many once it catches up.
 */
final class AccessLog {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.access");
  private static final BlockingQueue<String> QUEUE = new ArrayBlockingQueue<>(16_384);
  private static final AtomicLong DROPPED = new AtomicLong();
  private static final AtomicBoolean WRITING = new AtomicBoolean();
  /** The fields, in the order every line has them. */
  static final String[] FIELDS = {"id", "endpoint", "key", "tier", "backend", "reason", "status", "outcome", "ttft_ms",
      "prompt_tokens", "completion_tokens", "duration_ms"};

  private final AccessLogFormat format;

  AccessLog(AccessLogFormat format) {
    this.format = format;
    if (on() && WRITING.compareAndSet(false, true)) {
      Thread writer = new Thread(AccessLog::drain, "tiergate-access-log");
      writer.setDaemon(true);
      writer.start();
    }
  }

  private static void drain() {
    while (true) {
      try {
        String line = QUEUE.take();
        LOG.log(System.Logger.Level.INFO, line);
        long dropped = QUEUE.isEmpty() ? DROPPED.getAndSet(0) : 0;
        if (dropped > 0) {
          LOG.log(System.Logger.Level.WARNING, dropped + " access log line(s) dropped: the log could not keep up");
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // a failing handler must not end the writer: the next line may get through
      }
    }
  }

  boolean on() {
    return format != AccessLogFormat.OFF;
  }

  /** Called by the request's recorder once, after the meters. */
  void write(Exchange x, Sample s, int status) {
    if (LOG.isLoggable(System.Logger.Level.INFO) && !QUEUE.offer(line(x, s, status))) {
      DROPPED.incrementAndGet();
    }
  }

  String line(Exchange x, Sample s, int status) {
    String reason = x.response.headers().get("x-tiergate-reason");
    if (reason == null && x.decision != null) {
      reason = x.decision.reason();
    }
    Object[] v = {x.id, s.endpoint(), x.principal == null ? null : x.principal.name(), none(s.tier()), none(s.backend()), reason,
        status > 0 ? status : null, s.result(), millis(s.ttftNanos()), count(s.promptTokens()), count(s.completionTokens()),
        millis(s.durationNanos())};
    return format(format, v);
  }

  static String format(AccessLogFormat format, Object[] values) {
    if (format == AccessLogFormat.JSON) {
      JsonObject o = new JsonObject();
      for (int i = 0; i < FIELDS.length; i++) {
        o.put(FIELDS[i], values[i]);
      }
      return o.encode();
    }
    StringBuilder sb = new StringBuilder(160);
    for (int i = 0; i < FIELDS.length; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(FIELDS[i]).append('=');
      value(sb, values[i]);
    }
    return sb.toString();
  }

  /** Bare when it is one word; quoted, with quotes and backslashes escaped, when it could split the line. */
  private static void value(StringBuilder sb, Object v) {
    String s = v == null ? "-" : v.toString();
    boolean plain = !s.isEmpty();
    for (int i = 0; i < s.length() && plain; i++) {
      char c = s.charAt(i);
      plain = c > ' ' && c != '"' && c != '=' && c != '\\' && c < 0x7f;
    }
    if (plain) {
      sb.append(s);
      return;
    }
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < ' ') {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }

  private static String none(String name) {
    return name == null || name.equals("none") ? null : name;
  }

  private static Double millis(long nanos) {
    return nanos < 0 ? null : Math.round(nanos / 1e5) / 10.0;
  }

  private static Long count(long n) {
    return n < 0 ? null : n;
  }
}
