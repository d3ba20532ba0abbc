package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * POST /v1/embeddings and /v1/rerank, and the token counters. A generative model answers the pooling
 * routes with the engine's refusal: llama.cpp 501 {@code not_supported_error} without
 * {@code --embeddings} (captures 19a/19b), vLLM "The model does not support Embeddings API"
 * ({@code vllm/entrypoints/openai/api_server.py} create_embedding). With {@code --embeddings} the sim
 * answers in the engine's shape with deterministic vectors and scores.
 */
final class PoolingRoutes {
  private static final int DIMENSIONS = 8;

  private final SimCore core;
  private final Engine engine;
  private final SimOptions options;

  PoolingRoutes(SimCore core) {
    this.core = core;
    this.engine = core.engine;
    this.options = core.options;
  }

  void embeddings(HttpServerRequest req, Buffer body) {
    HttpServerResponse resp = req.response();
    core.stats.onRequest(body.toString());
    if (stalled(req)) {
      return;
    }
    if (!options.pooling()) {
      refuse(resp, "embeddings", "Embeddings");
      return;
    }
    JsonObject json = parse(resp, body);
    if (json == null) {
      return;
    }
    Object input = json.getValue("input");
    JsonArray inputs = input instanceof JsonArray a ? a : new JsonArray().add(input == null ? "" : input);
    JsonArray data = new JsonArray();
    long chars = 0;
    for (int i = 0; i < inputs.size(); i++) {
      String text = String.valueOf(inputs.getValue(i));
      chars += text.length();
      JsonArray vector = new JsonArray();
      for (int d = 0; d < DIMENSIONS; d++) {
        vector.add(((text.hashCode() * 31 + d * 7919) % 1000) / 1000.0);
      }
      data.add(engine.llamaFamily()
          ? new JsonObject().put("embedding", vector).put("index", i).put("object", "embedding")
          : new JsonObject().put("index", i).put("object", "embedding").put("embedding", vector));
    }
    int tokens = tokens(chars);
    JsonObject out = engine.llamaFamily()
        ? new JsonObject().put("model", options.model()).put("object", "list")
            .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens)).put("data", data)
        : new JsonObject().put("id", "embd-" + Plan.randomId(32)).put("object", "list").put("created", now())
            .put("model", options.model()).put("data", data)
            .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens).put("completion_tokens", 0));
    SimServer.json(engine, resp, 200, out.encode());
  }

  void rerank(HttpServerRequest req, Buffer body) {
    HttpServerResponse resp = req.response();
    core.stats.onRequest(body.toString());
    if (stalled(req)) {
      return;
    }
    if (!options.pooling()) {
      refuse(resp, "reranking", "Rerank (Score)");
      return;
    }
    JsonObject json = parse(resp, body);
    if (json == null) {
      return;
    }
    String query = String.valueOf(json.getValue("query"));
    JsonArray docs = json.getValue("documents") instanceof JsonArray a ? a : new JsonArray();
    JsonArray results = new JsonArray();
    long chars = query.length();
    for (int i = 0; i < docs.size(); i++) {
      Object d = docs.getValue(i);
      String text = d instanceof JsonObject o ? String.valueOf(o.getValue("text")) : String.valueOf(d);
      chars += text.length();
      // shared words with the query make a document more relevant: enough for ordering tests
      double score = overlap(query, text);
      JsonObject r = new JsonObject().put("index", i).put("relevance_score", score);
      if (!engine.llamaFamily()) {
        r.put("document", new JsonObject().put("text", text));
      }
      results.add(r);
    }
    int tokens = tokens(chars);
    JsonObject out = engine.llamaFamily()
        ? new JsonObject().put("model", options.model()).put("object", "list")
            .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens)).put("results", results)
        : new JsonObject().put("id", "rerank-" + Plan.randomId(32)).put("model", options.model())
            .put("usage", new JsonObject().put("total_tokens", tokens)).put("results", results);
    SimServer.json(engine, resp, 200, out.encode());
  }

  /** The exact prompt count of a generation request in the sim's own tokenizer (what its usage will report). */
  void count(HttpServerRequest req, SimApi api, Buffer body, boolean anthropic) {
    HttpServerResponse resp = req.response();
    core.stats.onRequest(body.toString());
    if (stalled(req)) {
      return;
    }
    SimRequest r;
    try {
      r = SimRequest.parse(api, body, engine, options.charsPerToken(), false);
    } catch (SimRequest.Invalid e) {
      SimServer.error(engine, resp, e.badJson && engine.llamaFamily() ? 500 : 400, e.getMessage());
      return;
    }
    JsonObject out = new JsonObject().put("input_tokens", r.promptTokens);
    if (!anthropic) {
      out.put("object", "response.input_tokens"); // llama.cpp's answer on both OpenAI counters (16c, 18a)
    } else if (engine == Engine.VLLM) {
      out.put("context_management", new JsonObject().put("original_input_tokens", r.promptTokens));
    }
    SimServer.json(engine, resp, 200, out.encode());
  }

  /** {@code x-sim-fault: stall-first}: the request is taken and never answered, until the peer leaves. */
  private boolean stalled(HttpServerRequest req) {
    if (!"stall-first".equals(req.getHeader(GenerateRoute.H_FAULT))) {
      return false;
    }
    core.stats.streamStarted();
    req.response().closeHandler(v -> {
      core.stats.streamEnded();
      core.stats.onAbort();
    });
    return true;
  }

  private void refuse(HttpServerResponse resp, String flag, String api) {
    if (engine.llamaFamily()) {
      SimServer.json(engine, resp, 501, new JsonObject().put("error", new JsonObject().put("code", 501)
          .put("message", "This server does not support " + flag + ". Start it with `--" + flag + "`")
          .put("type", "not_supported_error")).encode());
    } else {
      SimServer.error(engine, resp, 400, "The model does not support " + api + " API");
    }
  }

  private JsonObject parse(HttpServerResponse resp, Buffer body) {
    try {
      return new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      SimServer.error(engine, resp, engine.llamaFamily() ? 500 : 400, "invalid JSON: " + e.getMessage());
      return null;
    }
  }

  private int tokens(long chars) {
    return (int) Math.max(1, Math.ceil(chars / options.charsPerToken()));
  }

  private static double overlap(String query, String text) {
    String[] q = query.toLowerCase().split("\\W+");
    String t = " " + text.toLowerCase() + " ";
    int hits = 0;
    for (String w : q) {
      if (!w.isEmpty() && t.contains(w)) {
        hits++;
      }
    }
    return q.length == 0 ? 0 : Math.round(1000.0 * hits / q.length) / 1000.0;
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }
}
