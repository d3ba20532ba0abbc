package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The engine's side routes a gateway probes: health, model list, context window, tokenize. They run on the
 * request's HTTP loop and read only the options and what the engine last published, never the engine's context.
 */
final class InfoRoutes {
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
        int busy = core.snapshot().load().admitted();
        SimServer.json(engine, resp, 200, new JsonObject().put("status", "ok")
            .put("slots_idle", options.maxRunning() - busy).put("slots_processing", busy).encode());
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
    JsonObject body = new JsonObject().put("default_generation_settings", dgs).put("total_slots", options.maxRunning())
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
}
