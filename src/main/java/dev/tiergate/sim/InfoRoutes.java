package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The engine's side routes a gateway probes: health, model list, context window, metrics, tokenize. */
final class InfoRoutes {
  /** Parallel slots the llama.cpp family reports; load beyond it shows as zero idle slots. */
  private static final int SLOTS = 8;

  private final SimCore core;
  private final Engine engine;
  private final SimOptions options;
  private final long created = System.currentTimeMillis() / 1000;

  InfoRoutes(SimCore core) {
    this.core = core;
    this.engine = core.engine;
    this.options = core.options;
  }

  void health(HttpServerResponse resp) {
    switch (engine) {
      case VLLM, SGLANG -> resp.setStatusCode(200).end();
      case LLAMACPP -> SimServer.json(engine, resp, 200, "{\"status\":\"ok\"}");
      case IKLLAMA -> {
        int busy = core.liveCount();
        SimServer.json(engine, resp, 200, new JsonObject().put("status", "ok")
            .put("slots_idle", Math.max(0, SLOTS - busy)).put("slots_processing", busy).encode());
      }
    }
  }

  void models(HttpServerResponse resp) {
    String m = options.model();
    int window = options.contextWindow();
    JsonObject card = new JsonObject().put("id", m).put("object", "model").put("created", created);
    switch (engine) {
      case VLLM -> card.put("owned_by", "vllm").put("root", m).putNull("parent").put("max_model_len", window);
      case SGLANG -> card.put("owned_by", "sglang").put("root", m).put("max_model_len", window);
      case IKLLAMA -> card.put("owned_by", "llamacpp").put("max_model_len", window).put("meta", meta(window));
      case LLAMACPP -> {
        // llama.cpp only exposes training-time context here; the real window is /props n_ctx
        JsonObject data = new JsonObject().put("id", m).put("aliases", new JsonArray().add(m))
            .put("tags", new JsonArray()).put("object", "model").put("created", created).put("owned_by", "llamacpp")
            .put("meta", meta(window));
        JsonObject legacy = new JsonObject().put("name", m).put("model", m).put("modified_at", "").put("size", "")
            .put("digest", "").put("type", "model").put("description", "").put("tags", new JsonArray().add(""))
            .put("capabilities", new JsonArray().add("completion")).put("parameters", "")
            .put("details", new JsonObject().put("parent_model", "").put("format", "gguf").put("family", "")
                .put("families", new JsonArray().add("")).put("parameter_size", "")
                .put("quantization_level", ""));
        SimServer.json(engine, resp, 200, new JsonObject().put("models", new JsonArray().add(legacy))
            .put("object", "list").put("data", new JsonArray().add(data)).encode());
        return;
      }
    }
    SimServer.json(engine, resp, 200,
        new JsonObject().put("object", "list").put("data", new JsonArray().add(card)).encode());
  }

  private static JsonObject meta(int window) {
    return new JsonObject().put("vocab_type", 2).put("n_vocab", 151936).put("n_ctx", window)
        .put("n_ctx_train", Math.max(window, 262144)).put("n_embd", 5120).put("n_params", 27_000_000_000L)
        .put("size", 16_000_000_000L).put("ftype", "Q4_K - Medium");
  }

  void props(HttpServerResponse resp) {
    JsonObject dgs = new JsonObject()
        .put("params", new JsonObject().put("n_predict", -1).put("max_tokens", -1).put("temperature", 0.8))
        .put("n_ctx", options.contextWindow());
    JsonObject body = new JsonObject().put("default_generation_settings", dgs).put("total_slots", SLOTS)
        .put("model_alias", options.model()).put("model_path", options.model())
        .put("modalities", new JsonObject().put("vision", false).put("audio", false))
        .put("build_info", Outcome.FINGERPRINT).put("is_sleeping", false);
    SimServer.json(engine, resp, 200, body.encode());
  }

  void modelInfo(HttpServerResponse resp) {
    // context_length is a sim addition: real SGLang keeps the window in /v1/models max_model_len
    JsonObject body = new JsonObject().put("model_path", options.model()).put("tokenizer_path", options.model())
        .put("is_generation", true).putNull("preferred_sampling_params").put("weight_version", "default")
        .put("context_length", options.contextWindow()).put("max_model_len", options.contextWindow());
    SimServer.json(engine, resp, 200, body.encode());
  }

  void tokenize(HttpServerResponse resp, Buffer body) {
    JsonObject json;
    try {
      json = body.length() == 0 ? new JsonObject() : new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      int code = engine.llamaFamily() ? 500 : 400;
      SimServer.error(engine, resp, code, "invalid JSON: " + e.getMessage());
      return;
    }
    long chars = 0;
    for (String key : new String[] {"content", "prompt"}) {
      if (json.getValue(key) instanceof String s) {
        chars += s.length();
      }
    }
    if (json.getValue("messages") instanceof JsonArray msgs) {
      for (Object o : msgs) {
        if (o instanceof JsonObject msg && msg.getValue("content") instanceof String s) {
          chars += s.length();
        }
      }
    }
    int n = (int) Math.ceil(chars / options.charsPerToken());
    JsonArray tokens = new JsonArray();
    for (int i = 0; i < n; i++) {
      tokens.add(1000 + (i * 7919) % 150000); // stable fake ids, never the special-token range
    }
    JsonObject out = switch (engine) {
      case VLLM -> new JsonObject().put("count", n).put("max_model_len", options.contextWindow())
          .put("tokens", tokens);
      case SGLANG -> new JsonObject().put("tokens", tokens).put("count", n)
          .put("max_model_len", options.contextWindow());
      case LLAMACPP, IKLLAMA -> new JsonObject().put("tokens", tokens);
    };
    SimServer.json(engine, resp, 200, out.encode());
  }

  void metrics(HttpServerResponse resp) {
    String text = switch (engine) {
      case VLLM -> vllmMetrics();
      case SGLANG -> sglangMetrics();
      case LLAMACPP, IKLLAMA -> llamaMetrics();
    };
    resp.setStatusCode(200).putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text);
  }

  private String vllmMetrics() {
    String l = "{engine=\"0\",model_name=\"" + options.model() + "\"}";
    StringBuilder sb = new StringBuilder();
    gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", l, core.decoding);
    gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", l, core.prefilling);
    gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", l, kvUsage());
    counter(sb, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", l, core.promptTokensTotal);
    counter(sb, "vllm:generation_tokens_total", "Number of generation tokens processed.", l,
        core.generationTokensTotal);
    counter(sb, "vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", l, 0);
    histogram(sb, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", l,
        core.ttftSecondsSum, core.ttftCount);
    return sb.toString();
  }

  private String sglangMetrics() {
    String l = "{model_name=\"" + options.model() + "\"}";
    StringBuilder sb = new StringBuilder();
    gauge(sb, "sglang:num_running_reqs", "The number of running requests.", l, core.decoding);
    gauge(sb, "sglang:num_queue_reqs", "The number of requests in the waiting queue.", l, core.prefilling);
    gauge(sb, "sglang:token_usage", "The token usage.", l, kvUsage());
    counter(sb, "sglang:prompt_tokens_total", "Number of prefill tokens processed.", l, core.promptTokensTotal);
    counter(sb, "sglang:generation_tokens_total", "Number of generation tokens processed.", l,
        core.generationTokensTotal);
    histogram(sb, "sglang:time_to_first_token_seconds", "Histogram of time to first token in seconds.", l,
        core.ttftSecondsSum, core.ttftCount);
    return sb.toString();
  }

  private String llamaMetrics() {
    StringBuilder sb = new StringBuilder();
    counter(sb, "llamacpp:prompt_tokens_total", "Number of prompt tokens processed.", "", core.promptTokensTotal);
    counter(sb, "llamacpp:prompt_seconds_total", "Prompt process time", "", core.prefillSecondsSum);
    counter(sb, "llamacpp:tokens_predicted_total", "Number of generation tokens processed.", "",
        core.generationTokensTotal);
    counter(sb, "llamacpp:tokens_predicted_seconds_total", "Predict process time", "", core.decodeSecondsSum);
    gauge(sb, "llamacpp:prompt_tokens_seconds", "Average prompt throughput in tokens/s.", "",
        core.prefillSecondsSum > 0 ? core.promptTokensTotal / core.prefillSecondsSum : 0);
    gauge(sb, "llamacpp:predicted_tokens_seconds", "Average generation throughput in tokens/s.", "",
        core.decodeSecondsSum > 0 ? core.generationTokensTotal / core.decodeSecondsSum : 0);
    gauge(sb, "llamacpp:requests_processing", "Number of requests processing.", "",
        Math.min(SLOTS, core.liveCount()));
    gauge(sb, "llamacpp:requests_deferred", "Number of requests deferred.", "",
        Math.max(0, core.liveCount() - SLOTS));
    if (engine == Engine.IKLLAMA) {
      gauge(sb, "llamacpp:kv_cache_usage_ratio", "KV-cache usage. 1 means 100 percent usage.", "", kvUsage());
      gauge(sb, "llamacpp:kv_cache_tokens", "KV-cache tokens.", "", core.kvTokens());
    }
    return sb.toString();
  }

  /** Fraction of a pool sized like the seed's 8-bit tiers (a bit more than one full window). */
  private double kvUsage() {
    double pool = options.contextWindow() * 1.125;
    return Math.min(1.0, core.kvTokens() / pool);
  }

  private static void gauge(StringBuilder sb, String name, String help, String labels, double v) {
    metric(sb, name, help, "gauge", labels, v);
  }

  private static void counter(StringBuilder sb, String name, String help, String labels, double v) {
    metric(sb, name, help, "counter", labels, v);
  }

  private static void metric(StringBuilder sb, String name, String help, String type, String labels, double v) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    sb.append(name).append(labels).append(' ').append(num(v)).append('\n');
  }

  /** Only the +Inf bucket: the sim keeps sums, not distributions. */
  private static void histogram(StringBuilder sb, String name, String help, String labels, double sum, long n) {
    String inner = labels.isEmpty() ? "" : labels.substring(1, labels.length() - 1) + ",";
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" histogram\n");
    sb.append(name).append("_bucket{").append(inner).append("le=\"+Inf\"} ").append(n).append('\n');
    sb.append(name).append("_sum").append(labels).append(' ').append(num(sum)).append('\n');
    sb.append(name).append("_count").append(labels).append(' ').append(n).append('\n');
  }

  private static String num(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
