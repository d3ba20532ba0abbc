package dev.tiergate.sim;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;

/**
 * The load signals each engine exposes, read off the {@link Scheduler}: Prometheus text on /metrics, and
 * llama.cpp's /slots. Names, help texts, types and labels follow the engines' sources; a gateway that scrapes
 * these must read the real engines the same way. They answer on the request's HTTP loop from the engine's last
 * {@link SimCore.Snapshot}, so a saturated engine still answers its scrapes at once.
 */
final class LoadRoutes {
  /** The sampling parameters llama.cpp shows per slot, as captured (engine-transcripts/llamacpp/20a). */
  private static final JsonObject SLOT_PARAMS = new JsonObject("{\"seed\":4294967295,\"temperature\":0.800000011920929,"
      + "\"dynatemp_range\":0.0,\"dynatemp_exponent\":1.0,\"top_k\":40,\"top_p\":0.949999988079071,"
      + "\"min_p\":0.05000000074505806,\"top_n_sigma\":-1.0,\"xtc_probability\":0.0,\"xtc_threshold\":0.10000000149011612,"
      + "\"typical_p\":1.0,\"repeat_last_n\":64,\"repeat_penalty\":1.0,\"presence_penalty\":0.0,\"frequency_penalty\":0.0,"
      + "\"dry_multiplier\":0.0,\"dry_base\":1.75,\"dry_allowed_length\":2,\"dry_penalty_last_n\":64,\"mirostat\":0,"
      + "\"mirostat_tau\":5.0,\"mirostat_eta\":0.10000000149011612,\"adaptive_target\":-1.0,"
      + "\"adaptive_decay\":0.8999999761581421,\"max_tokens\":-1,\"n_predict\":-1,\"n_keep\":0,\"n_discard\":0,"
      + "\"ignore_eos\":false,\"stream\":false,\"n_probs\":0,\"min_keep\":0,\"chat_format\":\"peg-native\","
      + "\"reasoning_format\":\"deepseek\",\"reasoning_in_content\":false,"
      + "\"generation_prompt\":\"<|im_start|>assistant\\n\",\"samplers\":[\"penalties\",\"dry\",\"top_n_sigma\","
      + "\"top_k\",\"typ_p\",\"top_p\",\"min_p\",\"xtc\",\"temperature\"],\"speculative.types\":\"none\","
      + "\"timings_per_token\":false,\"post_sampling_probs\":false,\"backend_sampling\":false,\"lora\":[]}");

  private final SimCore core;
  private final Engine engine;
  private final SimOptions options;

  LoadRoutes(SimCore core) {
    this.core = core;
    this.engine = core.engine;
    this.options = core.options;
  }

  void metrics(HttpServerResponse resp) {
    SimCore.Snapshot snap = core.snapshot();
    String text = switch (engine) {
      case VLLM -> vllm(snap);
      case SGLANG -> sglang(snap);
      case LLAMACPP, IKLLAMA -> llama(snap);
    };
    // prometheus_client's type for the Python engines, llama.cpp's own header (captures 03a, 11)
    String type = engine.python() ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; version=0.0.4";
    resp.setStatusCode(200).putHeader("Content-Type", type).end(text);
  }

  /**
   * vllm/v1/metrics/loggers.py, PrometheusStatLogger (vLLM 0.10, commit 005a810b): labels model_name and engine
   * (the engine-core index). Running counts every request the scheduler has started, mid-prefill included;
   * waiting counts the rest, including admitted ones that no step has reached yet.
   */
  private String vllm(SimCore.Snapshot snap) {
    Scheduler.Load load = snap.load();
    Prom p = new Prom("{engine=\"0\",model_name=\"" + options.model() + "\"}", true);
    p.gauge("vllm:num_requests_running", "Number of requests in model execution batches.", load.started());
    p.gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.",
        load.waiting() + load.admitted() - load.started());
    p.gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", kvUsage(load));
    p.counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", snap.promptTokensTotal());
    p.counter("vllm:generation_tokens_total", "Number of generation tokens processed.", snap.generationTokensTotal());
    p.counter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", 0);
    p.histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
        snap.ttftSecondsSum(), snap.ttftCount());
    return p.text();
  }

  /**
   * python/sglang/srt/metrics/collector.py (SchedulerMetricsCollector) with the labels of
   * managers/scheduler_metrics_mixin.py: model_name, engine_type, tp_rank, pp_rank. SGLang counts its running
   * batch (decoding requests) and its waiting queue; a prompt being chunked is in neither.
   */
  private String sglang(SimCore.Snapshot snap) {
    Scheduler.Load load = snap.load();
    Prom p = new Prom("{engine_type=\"unified\",model_name=\"" + options.model() + "\",pp_rank=\"0\",tp_rank=\"0\"}",
        true);
    p.gauge("sglang:num_running_reqs", "The number of running requests.", load.decoding());
    p.gauge("sglang:num_queue_reqs", "The number of requests in the waiting queue.",
        load.waiting() + load.admitted() - load.started());
    p.gauge("sglang:token_usage", "The token usage.", kvUsage(load));
    p.counter("sglang:prompt_tokens_total", "Number of prefill tokens processed.", snap.promptTokensTotal());
    p.counter("sglang:generation_tokens_total", "Number of generation tokens processed.", snap.generationTokensTotal());
    p.histogram("sglang:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
        snap.ttftSecondsSum(), snap.ttftCount());
    return p.text();
  }

  /**
   * Every series of llama.cpp's /metrics in its order, help texts and types (captures 03a, 11, 20b, 20d; no
   * labels). Processing counts busy slots, deferred the requests waiting for one. ik_llama adds two KV series.
   */
  private String llama(SimCore.Snapshot snap) {
    Scheduler.Load load = snap.load();
    Prom p = new Prom("", false);
    double promptSeconds = snap.prefillSecondsSum();
    double decodeSeconds = snap.decodeSecondsSum();
    long steps = snap.steps();
    p.counter("llamacpp:prompt_tokens_total", "Number of prompt tokens processed, excluding cached tokens",
        snap.promptTokensTotal());
    p.counter("llamacpp:prompt_tokens_cached_total", "Number of prompt tokens reused from the cache", 0);
    p.counter("llamacpp:prompt_seconds_total", "Total time spent processing prompts", promptSeconds);
    p.counter("llamacpp:tokens_predicted_total", "Number of generation tokens processed", snap.generationTokensTotal());
    p.counter("llamacpp:tokens_predicted_seconds_total", "Total time spent generating tokens", decodeSeconds);
    p.counter("llamacpp:n_decode_total",
        "Total number of llama_decode() calls, excluding speculative decoding and multimodal decoding", steps);
    p.counter("llamacpp:n_tokens_max", "Largest observed sequence length (prompt + generation)",
        snap.longestSequence());
    p.counter("llamacpp:spec_decode_num_draft_tokens_total", "Speculative: Total draft tokens generated", 0);
    p.counter("llamacpp:spec_decode_num_accepted_tokens_total",
        "Speculative: Total draft tokens accepted by the target model", 0);
    p.counter("llamacpp:spec_decode_num_drafts_total", "Speculative: Total speculative decoding verification steps",
        0);
    p.gauge("llamacpp:prompt_tokens_seconds", "Average prompt throughput in tokens/s",
        promptSeconds > 0 ? snap.promptTokensTotal() / promptSeconds : 0);
    p.gauge("llamacpp:predicted_tokens_seconds", "Average generation throughput in tokens/s",
        decodeSeconds > 0 ? snap.generationTokensTotal() / decodeSeconds : 0);
    p.gauge("llamacpp:requests_processing", "Number of requests processing", load.admitted());
    p.gauge("llamacpp:requests_deferred", "Number of requests deferred", load.waiting());
    p.gauge("llamacpp:n_busy_slots_per_decode", "Average number of busy slots per llama_decode() call",
        steps > 0 ? (double) snap.busySlotSteps() / steps : 0);
    if (engine == Engine.IKLLAMA) {
      p.gauge("llamacpp:kv_cache_usage_ratio", "KV-cache usage. 1 means 100 percent usage.", kvUsage(load));
      p.gauge("llamacpp:kv_cache_tokens", "KV-cache tokens.", load.kvTokens());
    }
    return p.text();
  }

  /** GET /slots of the llama.cpp family: a never-used slot shows four keys, a used one its last task (20a, 20c). */
  void slots(HttpServerResponse resp) {
    List<SimCore.SlotView> history = core.snapshot().slots();
    JsonArray out = new JsonArray();
    for (int i = 0; i < options.maxRunning(); i++) {
      SimCore.SlotView s = i < history.size() ? history.get(i) : null;
      boolean busy = s != null && s.busy();
      JsonObject slot = new JsonObject().put("id", i).put("n_ctx", options.contextWindow()).put("speculative", false)
          .put("is_processing", busy);
      if (s != null) {
        JsonObject params = SLOT_PARAMS.copy().put("max_tokens", s.maxTokens()).put("n_predict", s.maxTokens())
            .put("stream", s.stream());
        JsonObject next = new JsonObject().put("has_next_token", busy).put("has_new_line", false)
            .put("n_remain", busy && s.maxTokens() >= 0 ? s.maxTokens() - s.generated() : -1)
            .put("n_decoded", busy ? s.generated() : 0);
        slot.put("id_task", s.taskId()).put("n_prompt_tokens", s.promptTokens())
            .put("n_prompt_tokens_processed", s.prefilled()).put("n_prompt_tokens_cache", 0).put("params", params)
            .put("next_token", new JsonArray().add(next));
      }
      out.add(slot);
    }
    SimServer.json(engine, resp, 200, out.encode());
  }

  /** Fraction of a pool sized like the seed's 8-bit tiers (a bit more than one full window). */
  private double kvUsage(Scheduler.Load load) {
    double pool = options.contextWindow() * 1.125;
    return Math.min(1.0, load.kvTokens() / pool);
  }

  /** Prometheus text exposition; Python engines print every value as a float, llama.cpp like C++ streams do. */
  private static final class Prom {
    private final StringBuilder sb = new StringBuilder();
    private final String labels;
    private final boolean python;

    Prom(String labels, boolean python) {
      this.labels = labels;
      this.python = python;
    }

    void gauge(String name, String help, double v) {
      metric(name, help, "gauge", v);
    }

    void counter(String name, String help, double v) {
      metric(name, help, "counter", v);
    }

    private void metric(String name, String help, String type, double v) {
      sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
      sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
      sb.append(name).append(labels).append(' ').append(num(v)).append('\n');
    }

    /** Only the +Inf bucket: the sim keeps sums, not distributions. */
    void histogram(String name, String help, double sum, long n) {
      String inner = labels.isEmpty() ? "" : labels.substring(1, labels.length() - 1) + ",";
      sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
      sb.append("# TYPE ").append(name).append(" histogram\n");
      sb.append(name).append("_bucket{").append(inner).append("le=\"+Inf\"} ").append(num(n)).append('\n');
      sb.append(name).append("_sum").append(labels).append(' ').append(num(sum)).append('\n');
      sb.append(name).append("_count").append(labels).append(' ').append(num(n)).append('\n');
    }

    String text() {
      return sb.toString();
    }

    private String num(double v) {
      if (python) {
        return Double.toString(v);
      }
      if (v == Math.rint(v) && Math.abs(v) < 1e15) {
        return Long.toString((long) v);
      }
      return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
  }
}
