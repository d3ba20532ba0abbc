package dev.tiergate.metrics;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.stream.SseEvent;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A metrics instance over a two-tier config and helpers to script upstream events by hand. */
final class Scripted {
  static final long T0 = 5_000_000_000L;
  static final long MS = 1_000_000L;

  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final GatewayMetrics metrics;
  final List<Sample> samples = new ArrayList<>();

  Scripted() {
    GatewayConfig config = ConfigLoader.withEnv(Map.of()).parse("test", """
        routing:
          defaultTier: fast
          rules:
            - { name: long-prompt, when: { promptTokensAtLeast: 8192 }, tier: prefill }
        tiers:
          - name: fast
            scheme: W4A16
            backends: [{ name: fast-1, url: "http://127.0.0.1:1", engine: vllm, model: m }]
          - name: prefill
            scheme: W8A8
            backends: [{ name: prefill-1, url: "http://127.0.0.1:2", engine: llamacpp, model: m }]
        """);
    metrics = new GatewayMetrics(registry, config);
    metrics.observe(samples::add);
  }

  /** A streaming chat request whose upstream request was written 2 ms after it was received. */
  RequestRecorder chat(String backend) {
    return recorder(backend, "chat");
  }

  /** The same on another endpoint ({@code messages}, {@code responses}, …). */
  RequestRecorder recorder(String backend, String endpoint) {
    RequestRecorder r = metrics.begin(endpoint, T0);
    r.upstream(backend.startsWith("fast") ? "fast" : "prefill", backend,
        backend.startsWith("fast") ? "vllm" : "llamacpp", T0 + 2 * MS);
    return r;
  }

  Sample last() {
    return samples.get(samples.size() - 1);
  }

  static SseEvent event(String json) {
    return SseEvent.of(Buffer.buffer(json));
  }

  static SseEvent role() {
    return event("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}");
  }

  static SseEvent content(String text) {
    return event("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"},\"finish_reason\":null}]}");
  }

  static SseEvent reasoning(String text) {
    return event("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"" + text
        + "\"},\"finish_reason\":null}]}");
  }

  static SseEvent finish() {
    return event("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
  }

  static SseEvent usageOnly(int prompt, int completion, int cached) {
    return event("{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":"
        + completion + ",\"total_tokens\":" + (prompt + completion) + ",\"prompt_tokens_details\":{\"cached_tokens\":"
        + cached + "}}}");
  }

  static SseEvent done() {
    return event("[DONE]");
  }

  /** The value of one exported sample line, e.g. {@code tiergate_completion_tokens_total{backend="fast-1",tier="fast"}}. */
  double scraped(String series) {
    for (String line : registry.scrape().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no series " + series + " in:\n" + registry.scrape());
  }
}
