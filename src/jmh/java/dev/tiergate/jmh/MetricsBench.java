package dev.tiergate.jmh;

import dev.tiergate.metrics.GatewayMetrics;
import dev.tiergate.metrics.RequestRecorder;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.StreamOutcome;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Recording one request on the Prometheus registry the gateway uses: begin, upstream, the stream's events
 * (role, 32 content events, usage, [DONE]) and the end. Tracks the metrics API as it is today
 * ({@code GatewayMetrics.begin} → {@code RequestRecorder}); adjust when that API moves.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MetricsBench {
  GatewayMetrics metrics;
  SseEvent role;
  SseEvent content;
  SseEvent usage;
  SseEvent done;

  @Setup
  public void setup() {
    metrics = new GatewayMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Fixtures.config());
    role = SseEvent.of(Buffer.buffer("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"));
    content = SseEvent.of(Buffer.buffer(Fixtures.vllmEvent(1).substring(6).trim()));
    usage = SseEvent.of(Buffer.buffer("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"total_tokens\":44,"
        + "\"completion_tokens\":32}}"));
    done = SseEvent.of(Buffer.buffer("[DONE]"));
  }

  /** One whole streamed request's sample. */
  @Benchmark
  public RequestRecorder streamedRequest() {
    long t = System.nanoTime();
    RequestRecorder r = metrics.begin("chat", t);
    r.upstream("fast", "fast-1", "vllm", t + 1_000);
    r.onEvent(role, t + 100_000_000L);
    for (int i = 0; i < 32; i++) {
      r.onEvent(content, t + 100_000_000L + i * 12_000_000L);
    }
    r.onEvent(usage, t + 500_000_000L);
    r.onEvent(done, t + 500_000_001L);
    r.onEnd(StreamOutcome.OK, t + 500_000_002L);
    return r;
  }

  /** The per-event part alone: what every relayed content event costs the recorder. */
  @Benchmark
  public RequestRecorder oneContentEvent(EventState s) {
    s.recorder.onEvent(content, s.nanos += 12_000_000L);
    return s.recorder;
  }

  /** A recorder that stays open, so the per-event path is measured without begin/end. */
  @State(Scope.Thread)
  public static class EventState {
    RequestRecorder recorder;
    long nanos;

    @Setup
    public void setup(MetricsBench b) {
      nanos = System.nanoTime();
      recorder = b.metrics.begin("chat", nanos);
      recorder.upstream("fast", "fast-1", "vllm", nanos);
    }
  }
}
