package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Exported names are the contract, and label values never come from outside the configuration. */
class LabelsTest {
  /** Every name the issue and the dashboard depend on, as Prometheus sees them. */
  static final List<String> CONTRACT = List.of(
      "tiergate_requests_total",
      "tiergate_ttft_seconds_bucket",
      "tiergate_upstream_ttft_seconds_bucket",
      "tiergate_time_to_first_answer_seconds_bucket",
      "tiergate_inter_token_latency_seconds_bucket",
      "tiergate_request_duration_seconds_bucket",
      "tiergate_decode_tokens_per_second_bucket",
      "tiergate_prefill_tokens_per_second_bucket",
      "tiergate_overhead_seconds_bucket",
      "tiergate_engine_decode_tokens_per_second_bucket",
      "tiergate_engine_prefill_tokens_per_second_bucket",
      "tiergate_prompt_tokens_total",
      "tiergate_cached_prompt_tokens_total",
      "tiergate_completion_tokens_total",
      "tiergate_approximate_token_counts_total",
      "tiergate_route_decisions_total",
      "tiergate_fallbacks_total",
      "tiergate_inflight_requests",
      "tiergate_backend_up",
      "tiergate_tier_info");

  @Test
  void exportedNamesMatchTheContract() {
    Scripted s = new Scripted();
    s.metrics.decision("fast", "default");
    s.metrics.fallback("fast", "prefill");
    s.chat("fast-1").onEnd(dev.tiergate.stream.StreamOutcome.OK, Scripted.T0 + Scripted.MS);
    String text = s.registry.scrape();
    for (String name : CONTRACT) {
      assertTrue(text.contains("\n" + name + "{"), "missing " + name);
    }
    assertTrue(text.contains("tiergate_tier_info{scheme=\"W4A16\",tier=\"fast\"} 1"));
    assertTrue(text.contains("tiergate_ttft_seconds_bucket{backend=\"fast-1\",tier=\"fast\",le=\"600.0\"}"),
        "explicit buckets up to 10 minutes");
    assertTrue(text.contains("tiergate_decode_tokens_per_second_bucket{backend=\"fast-1\",tier=\"fast\",le=\"100000.0\"}"));
    assertFalse(text.contains("tiergate_engine_decode_tokens_per_second_bucket{backend=\"fast-1\""),
        "vLLM reports no timings, so it gets no empty engine-rate series");
  }

  @Test
  void unknownNamesFoldIntoFixedWords() {
    Scripted s = new Scripted();
    s.metrics.decision("fast", "rule:long-prompt");
    s.metrics.decision("fast", "client-chosen-garbage");
    s.metrics.decision("nope", "default");
    s.metrics.fallback("fast", "evil");
    RequestRecorder r = s.metrics.begin("chat", Scripted.T0);
    r.upstream("fast", "not-configured", "vllm", Scripted.T0);
    r.failed("cancelled");
    assertEquals(1, s.scraped("tiergate_route_decisions_total{reason=\"rule:long-prompt\",tier=\"fast\"}"));
    assertEquals(1, s.scraped("tiergate_route_decisions_total{reason=\"other\",tier=\"fast\"}"));
    assertEquals(1, s.scraped("tiergate_route_decisions_total{reason=\"default\",tier=\"none\"}"));
    assertEquals(1, s.scraped("tiergate_fallbacks_total{from_tier=\"fast\",to_tier=\"none\"}"));
    assertEquals(1, s.scraped(
        "tiergate_requests_total{backend=\"none\",endpoint=\"chat\",outcome=\"cancelled\",tier=\"none\"}"));
    assertFalse(s.registry.scrape().contains("garbage"));
    assertFalse(s.registry.scrape().contains("evil"));
  }

  @Test
  void gaugesReadTheBoundState() {
    Scripted s = new Scripted();
    BackendGauges live = new BackendGauges() {
      @Override
      public int inflight(String backend) {
        return backend.equals("fast-1") ? 3 : 0;
      }

      @Override
      public boolean up(String backend) {
        return backend.equals("fast-1");
      }
    };
    GatewayMetrics m = new GatewayMetrics(new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), s.metrics.config(), live);
    String text = ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) m.registry()).scrape();
    assertTrue(text.contains("tiergate_inflight_requests{backend=\"fast-1\",tier=\"fast\"} 3"), text);
    assertTrue(text.contains("tiergate_backend_up{backend=\"fast-1\",engine=\"vllm\",tier=\"fast\"} 1"), text);
    assertTrue(text.contains("tiergate_backend_up{backend=\"prefill-1\",engine=\"llamacpp\",tier=\"prefill\"} 0"), text);
  }
}
