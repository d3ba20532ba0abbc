package dev.tiergate.lifecycle;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.config.LifecycleConfig;
import dev.tiergate.config.TierConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * An engine's own sleep and wake, so a swap takes seconds instead of minutes:
 * <ul>
 *   <li>vLLM ({@code --enable-sleep-mode}, {@code VLLM_SERVER_DEV_MODE=1}): {@code POST /sleep?level=N}
 *       (a query parameter, not a body), {@code GET /is_sleeping}, {@code POST /wake_up}; level 2 also
 *       needs {@code POST /collective_rpc} {@code reload_weights}; then {@code POST /reset_prefix_cache}.
 *       (vllm/entrypoints/openai/api_server.py, dev-mode routes, v0.10–0.11.)</li>
 *   <li>SGLang ({@code --enable-memory-saver}): {@code POST /release_memory_occupation} and
 *       {@code /resume_memory_occupation} with {@code {"tags": [...]}}, {@code POST /flush_cache};
 *       release refuses while requests run. (python/sglang/srt/entrypoints/http_server.py, 0.5.)</li>
 *   <li>llama.cpp router mode: {@code POST /models/unload} and {@code /models/load} with
 *       {@code {"model": name}}; {@code GET /models} lists each model's status.</li>
 * </ul>
 * A wake is trusted only when the engine says it is awake, lists its served name, and answers the
 * canary at temperature 0 exactly as it did at first boot: some engine versions come back from a
 * wake with corrupted output, which nothing else would notice.
 */
final class WarmEngine {
  private static final long POLL_MS = 100;

  private final Vertx vertx;
  private final HttpClient client;
  private final TierConfig tier;
  private final LifecycleConfig.Warm warm;
  /** What each backend answered the canary at first boot; a wake must reproduce it. */
  private final List<String> reference = new ArrayList<>();

  WarmEngine(Vertx vertx, HttpClient client, TierConfig tier) {
    this.vertx = vertx;
    this.client = client;
    this.tier = tier;
    this.warm = tier.lifecycle().warm();
  }

  boolean hasReference() {
    return !reference.isEmpty();
  }

  /** Answers the canary on every backend and keeps the answers as the reference. */
  Future<Void> recordReference() {
    return canaries().map(answers -> {
      reference.clear();
      reference.addAll(answers);
      return null;
    });
  }

  /** Puts every backend to sleep and confirms it sleeps. */
  Future<Void> sleep() {
    return each(b -> switch (warm.engine()) {
      case VLLM -> call(b, HttpMethod.POST, "/sleep?level=" + warm.level(), null, warm.sleepTimeoutMs())
          .compose(v -> until(b, true, warm.sleepTimeoutMs()));
      case SGLANG -> call(b, HttpMethod.POST, "/release_memory_occupation", tags(), warm.sleepTimeoutMs());
      default -> call(b, HttpMethod.POST, "/models/unload", model(b), warm.sleepTimeoutMs());
    });
  }

  /** Wakes every backend: awake by its own word, its name listed, its prefix cache reset. */
  Future<Void> wake() {
    return each(b -> switch (warm.engine()) {
      case VLLM -> call(b, HttpMethod.POST, "/wake_up", null, warm.wakeTimeoutMs())
          .compose(v -> warm.level() == 2 ? call(b, HttpMethod.POST, "/collective_rpc",
              new JsonObject().put("method", "reload_weights").encode(), warm.wakeTimeoutMs()) : Future.succeededFuture())
          .compose(v -> until(b, false, warm.wakeTimeoutMs()))
          .compose(v -> call(b, HttpMethod.POST, "/reset_prefix_cache", null, warm.wakeTimeoutMs()));
      case SGLANG -> call(b, HttpMethod.POST, "/resume_memory_occupation", tags(), warm.wakeTimeoutMs())
          .compose(v -> call(b, HttpMethod.POST, "/flush_cache", null, warm.wakeTimeoutMs()));
      default -> call(b, HttpMethod.POST, "/models/load", model(b), warm.wakeTimeoutMs());
    }).compose(v -> each(this::listsItsModel));
  }

  /** Whether every backend sleeps now (only vLLM can say; the others are asked nothing and answer false). */
  Future<Boolean> sleeping() {
    if (warm.engine() != Engine.VLLM) {
      return Future.succeededFuture(false);
    }
    List<Future<Boolean>> all = new ArrayList<>();
    for (BackendConfig b : tier.backends()) {
      all.add(isSleeping(b));
    }
    return Future.all(all).map(cf -> all.stream().allMatch(Future::result));
  }

  /** Fails unless every backend answers the canary as it did at first boot. */
  Future<Void> checkCanary() {
    if (reference.isEmpty()) {
      return Future.succeededFuture();
    }
    return canaries().compose(answers -> {
      for (int i = 0; i < answers.size(); i++) {
        if (!answers.get(i).equals(reference.get(i))) {
          return Future.failedFuture(new CanaryMismatch("backend '" + tier.backends().get(i).name() + "' answered the canary '"
              + abbreviate(answers.get(i)) + "' after waking, not '" + abbreviate(reference.get(i)) + "' as at first boot"));
        }
      }
      return Future.succeededFuture();
    });
  }

  /** A canary that came back different: the wake corrupted the engine. */
  static final class CanaryMismatch extends RuntimeException {
    CanaryMismatch(String message) {
      super(message, null, false, false);
    }
  }

  private Future<List<String>> canaries() {
    List<Future<String>> all = new ArrayList<>();
    for (BackendConfig b : tier.backends()) {
      all.add(canary(b));
    }
    return Future.all(all).map(cf -> all.stream().map(Future::result).toList());
  }

  private Future<String> canary(BackendConfig b) {
    String body = new JsonObject().put("model", b.model()).put("temperature", 0).put("max_tokens", warm.canary().maxTokens())
        .put("stream", false).put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", warm.canary().prompt()))).encode();
    return request(b, HttpMethod.POST, "/v1/chat/completions", body, warm.wakeTimeoutMs()).compose(r -> {
      if (r.status / 100 != 2) {
        return Future.failedFuture("the canary was answered " + r.status + ": " + abbreviate(r.body.toString()));
      }
      try {
        JsonObject msg = new JsonObject(r.body).getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        return Future.succeededFuture(String.valueOf(msg.getValue("content")));
      } catch (RuntimeException e) {
        return Future.failedFuture("the canary's answer is not a chat completion: " + abbreviate(r.body.toString()));
      }
    });
  }

  private Future<Void> listsItsModel(BackendConfig b) {
    return request(b, HttpMethod.GET, "/v1/models", null, warm.wakeTimeoutMs()).compose(r -> {
      String body = r.body.toString();
      boolean listed = r.status == 200 && (b.model() == null || body.contains("\"" + b.model() + "\""));
      return listed ? Future.succeededFuture() : Future.failedFuture("after waking, /v1/models does not list '" + b.model()
          + "' (" + r.status + ")");
    });
  }

  private Future<Boolean> isSleeping(BackendConfig b) {
    return request(b, HttpMethod.GET, "/is_sleeping", null, warm.sleepTimeoutMs()).compose(r -> r.status == 200
        ? Future.succeededFuture(new JsonObject(r.body).getBoolean("is_sleeping", false))
        : Future.failedFuture("/is_sleeping answered " + r.status));
  }

  /** Polls {@code /is_sleeping} until it says {@code asleep}, within the timeout. */
  private Future<Void> until(BackendConfig b, boolean asleep, long timeoutMs) {
    Promise<Void> p = Promise.promise();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    poll(b, asleep, deadline, p);
    return p.future();
  }

  private void poll(BackendConfig b, boolean asleep, long deadline, Promise<Void> p) {
    isSleeping(b).onComplete(ar -> {
      if (ar.succeeded() && ar.result() == asleep) {
        p.tryComplete();
      } else if (System.nanoTime() > deadline) {
        p.tryFail("backend '" + b.name() + "' did not report " + (asleep ? "sleeping" : "awake") + " within "
            + (asleep ? warm.sleepTimeoutMs() : warm.wakeTimeoutMs()) + " ms");
      } else {
        vertx.setTimer(POLL_MS, id -> poll(b, asleep, deadline, p));
      }
    });
  }

  private String tags() {
    // Level 1 keeps the weights (in host RAM, --enable-weights-cpu-backup); both release everything on the GPU.
    return new JsonObject().put("tags", new JsonArray().add("weights").add("kv_cache").add("cuda_graph")).encode();
  }

  private static String model(BackendConfig b) {
    return new JsonObject().put("model", b.model()).encode();
  }

  private Future<Void> each(java.util.function.Function<BackendConfig, Future<Void>> op) {
    List<Future<Void>> all = new ArrayList<>();
    for (BackendConfig b : tier.backends()) {
      all.add(op.apply(b));
    }
    return Future.all(all).mapEmpty();
  }

  private Future<Void> call(BackendConfig b, HttpMethod method, String path, String body, long timeoutMs) {
    return request(b, method, path, body, timeoutMs).compose(r -> r.status / 100 == 2 ? Future.succeededFuture()
        : Future.failedFuture(method + " " + path + " on '" + b.name() + "' answered " + r.status
            + (r.body.length() == 0 ? "" : ": " + abbreviate(r.body.toString()))));
  }

  private record Reply(int status, Buffer body) {}

  private Future<Reply> request(BackendConfig b, HttpMethod method, String path, String body, long timeoutMs) {
    String base = b.url().endsWith("/") ? b.url().substring(0, b.url().length() - 1) : b.url();
    base = base.endsWith("/v1") ? base.substring(0, base.length() - 3) : base;
    RequestOptions o = new RequestOptions().setMethod(method).setAbsoluteURI(base + path).setTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs);
    if (b.apiKey() != null) {
      o.putHeader("authorization", "Bearer " + b.apiKey());
    }
    if (body != null) {
      o.putHeader("content-type", "application/json");
    }
    try {
      return client.request(o).compose(req -> (body == null ? req.send() : req.send(body))
          .compose(resp -> resp.body().map(x -> new Reply(resp.statusCode(), x))));
    } catch (IllegalStateException closed) {
      return Future.failedFuture("the gateway is shutting down");
    }
  }

  private static String abbreviate(String s) {
    String t = s.strip();
    return t.length() > 120 ? t.substring(0, 120) + "…" : t;
  }
}
