package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.AccessLogFormat;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.BlockedLoopGuard;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code server.accessLog}: one line per request, fields in a fixed order, never the body. */
@ExtendWith(BlockedLoopGuard.class)
class AccessLogTest {
  static final Logger ACCESS = Logger.getLogger("dev.tiergate.access");
  static final List<String> LINES = new ArrayList<>();
  static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (LINES) {
        LINES.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  static TestGateway gw;

  @BeforeAll
  static void start() {
    ACCESS.addHandler(CAPTURE);
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(5).withPrefillTps(1_000_000).withDecodeTps(2000)
        .withDenseBatching(false);
    gw = TestGateway.builder()
        .sim("fast-1", sim).sim("max-1", sim)
        .config("""
            server: { port: 0, instances: 2, accessLog: kv }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
              - name: max
                backends: [{ name: max-1, url: "${SIM_MAX_1}", engine: vllm, model: m }]
            """)
        .start();
    gw.post("/v1/chat/completions", chat("warm"));
  }

  static String chat(String content) {
    return "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":8,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
  }

  @AfterAll
  static void stop() {
    ACCESS.removeHandler(CAPTURE);
    gw.close();
  }

  @Test
  void theAccessLogHasOneLineAFixedOrderAndNoBody() {
    synchronized (LINES) {
      LINES.clear();
    }
    String id = gw.post("/v1/chat/completions", chat("PRIVATE-PROMPT-42"), "x-tiergate-tier", "max").header(Decision.REQUEST_ID);
    String failed = gw.post("/v1/chat/completions", chat("PRIVATE-PROMPT-43"), "x-tiergate-tier", "nope").header(Decision.REQUEST_ID);
    Wire.await("both lines", 5_000, () -> lines().stream().filter(l -> l.contains(id) || l.contains(failed)).count() == 2);
    String ok = lines().stream().filter(l -> l.contains(id)).findFirst().orElseThrow();
    assertTrue(ok.matches("id=\\S+ endpoint=chat key=- tier=max backend=max-1 reason=\\S+ status=200 outcome=ok ttft_ms=[0-9.]+"
        + " prompt_tokens=\\d+ completion_tokens=\\d+ duration_ms=[0-9.]+"), ok);
    String bad = lines().stream().filter(l -> l.contains(failed)).findFirst().orElseThrow();
    assertTrue(bad.matches("id=\\S+ endpoint=chat key=- tier=- backend=- reason=- status=400 outcome=client_error ttft_ms=-"
        + " prompt_tokens=- completion_tokens=- duration_ms=[0-9.]+"), bad);
    assertTrue(lines().stream().noneMatch(l -> l.contains("PRIVATE")), "never the body");
  }

  @Test
  void jsonLinesKeepTheSameFieldsInTheSameOrder() {
    Object[] values = {"r1", "chat", "alice", "fast", "fast-1", "rule:x y", 200, "ok", 12.5, 10L, 3L, 40.0};
    String json = AccessLog.format(AccessLogFormat.JSON, values);
    assertEquals("{\"id\":\"r1\",\"endpoint\":\"chat\",\"key\":\"alice\",\"tier\":\"fast\",\"backend\":\"fast-1\",\"reason\":\"rule:x y\","
        + "\"status\":200,\"outcome\":\"ok\",\"ttft_ms\":12.5,\"prompt_tokens\":10,\"completion_tokens\":3,\"duration_ms\":40.0}", json);
    String kv = AccessLog.format(AccessLogFormat.KV, values);
    assertEquals("id=r1 endpoint=chat key=alice tier=fast backend=fast-1 reason=\"rule:x y\" status=200 outcome=ok ttft_ms=12.5"
        + " prompt_tokens=10 completion_tokens=3 duration_ms=40.0", kv);
  }

  static List<String> lines() {
    synchronized (LINES) {
      return new ArrayList<>(LINES);
    }
  }

}
