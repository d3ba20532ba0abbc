package dev.tiergate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Every meter of one configured backend, registered when the gateway starts. A request looks its
 * backend's instance up once; from then on recording is plain meter calls with no lookups.
 */
final class BackendMeters {
  final RequestCounters requests;
  final Timer ttft;
  final Timer upstreamTtft;
  final Timer firstAnswer;
  final Timer interToken;
  final Timer overhead;
  /** Only requests that ended ok: a cancelled or failed request's length says nothing about the tier's speed. */
  final Timer duration;
  final DistributionSummary decodeTps;
  final DistributionSummary prefillTps;
  /** Null for engines that report no llama.cpp-style timings. */
  final DistributionSummary engineDecodeTps;
  final DistributionSummary enginePrefillTps;
  final Counter promptTokens;
  final Counter cachedTokens;
  final Counter completionTokens;
  final Counter approximate;
  /** Per tier (shared by its backends): how far the routing estimate was from the engine's count. */
  final DistributionSummary estimateError;
  private final MeterRegistry registry;
  private final String tier;
  private final String backend;

  BackendMeters(MeterRegistry registry, String tier, String backend, boolean engineTimings) {
    this.registry = registry;
    this.tier = tier;
    this.backend = backend;
    requests = new RequestCounters(registry, tier, backend);
    ttft = timer("tiergate_ttft", Buckets.FIRST_TOKEN,
        "From the whole request received to the first relayed event carrying generated output");
    upstreamTtft = timer("tiergate_upstream_ttft", Buckets.FIRST_TOKEN,
        "From the upstream request written to the first relayed event carrying generated output");
    firstAnswer = timer("tiergate_time_to_first_answer", Buckets.FIRST_TOKEN,
        "From the whole request received to the first answer output (content, tool call, text), after any reasoning");
    interToken = timer("tiergate_inter_token_latency", Buckets.INTER_TOKEN,
        "Time between consecutive relayed output-bearing events");
    overhead = timer("tiergate_overhead", Buckets.OVERHEAD,
        "Time in the gateway from the whole request received to the answering upstream request written");
    duration = timer("tiergate_request_duration", Buckets.REQUEST,
        "From the whole request received to its last byte relayed, for requests that ended ok");
    decodeTps = rate("tiergate_decode_tokens_per_second",
        "Completion tokens / (last output time - first output time), streams with at least 2 output events");
    prefillTps = rate("tiergate_prefill_tokens_per_second", "Uncached prompt tokens / upstream TTFT");
    engineDecodeTps = engineTimings ? rate("tiergate_engine_decode_tokens_per_second",
        "Decode rate the engine reported itself (llama.cpp timings.predicted_per_second)") : null;
    enginePrefillTps = engineTimings ? rate("tiergate_engine_prefill_tokens_per_second",
        "Prefill rate the engine reported itself (llama.cpp timings.prompt_per_second)") : null;
    promptTokens = counter("tiergate_prompt_tokens", "Prompt tokens, as the engine counted them");
    cachedTokens = counter("tiergate_cached_prompt_tokens", "Prompt tokens the engine served from its prefix cache");
    completionTokens = counter("tiergate_completion_tokens",
        "Completion tokens, as the engine counted them (or output events when it did not; see approximate)");
    approximate = counter("tiergate_approximate_token_counts",
        "Requests whose completion tokens were counted from output events because the engine reported no usage");
    estimateError = DistributionSummary.builder("tiergate_prompt_estimate_error")
        .description("The gateway's prompt estimate used for routing divided by the engine's prompt_tokens (1 = exact)")
        .tags("tier", tier).serviceLevelObjectives(Buckets.ESTIMATE_RATIO).publishPercentileHistogram(false)
        .register(registry);
  }

  static void record(Timer t, long nanos) {
    if (nanos >= 0) {
      t.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  static void record(DistributionSummary s, double v) {
    if (s != null && Double.isFinite(v) && v > 0) {
      s.record(v);
    }
  }

  private Timer timer(String name, Duration[] buckets, String help) {
    return Timer.builder(name).description(help).tags("tier", tier, "backend", backend)
        .serviceLevelObjectives(buckets).publishPercentileHistogram(false).register(registry);
  }

  private DistributionSummary rate(String name, String help) {
    return DistributionSummary.builder(name).description(help).tags("tier", tier, "backend", backend)
        .serviceLevelObjectives(Buckets.TOKENS_PER_SECOND).publishPercentileHistogram(false).register(registry);
  }

  private Counter counter(String name, String help) {
    return Counter.builder(name).description(help).tags("tier", tier, "backend", backend).register(registry);
  }
}
