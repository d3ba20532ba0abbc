package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.stream.JsonBytes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine-aware readiness and discovery. Engines signal "not yet" differently: vLLM refuses
 * connections while loading and answers 503 once dead; SGLang answers 503 during warm-up;
 * llama.cpp answers 503 "Loading model"; ik_llama.cpp accepts and then hangs, which only a read
 * timeout can see.
 */
public final class HealthProbe {
  private final HttpClient client;
  private final long timeoutMs;
  /** Engine text quoted in a probe's verdict ends up in status and in log lines: scrubbed here, before it is cut short. */
  private final Secrets secrets;

  public HealthProbe(HttpClient client, long timeoutMs, Secrets secrets) {
    this.client = client;
    this.timeoutMs = timeoutMs;
    this.secrets = secrets;
  }

  public Future<ProbeResult> probe(BackendConfig b) {
    return get(b, "/health").transform(ar -> {
      if (ar.failed()) {
        return Future.succeededFuture(failure(b.engine(), ar.cause()));
      }
      Reply r = ar.result();
      return Future.succeededFuture(classify(b.engine(), r.status, Buffer.buffer(secrets.redact(r.body.toString()))));
    });
  }

  static ProbeResult classify(Engine engine, int status, Buffer body) {
    if (status == 200) {
      return new ProbeResult(ProbeResult.State.READY, "ok");
    }
    String text = body == null ? "" : body.toString();
    if (status == 503) {
      boolean loading = engine != Engine.VLLM || text.toLowerCase().contains("loading");
      return new ProbeResult(loading ? ProbeResult.State.LOADING : ProbeResult.State.DOWN,
          "/health answered 503" + (text.isBlank() ? "" : ": " + abbreviate(text)));
    }
    return new ProbeResult(ProbeResult.State.DOWN, "/health answered " + status);
  }

  private ProbeResult failure(Engine engine, Throwable t) {
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    boolean timedOut = msg.toLowerCase().contains("timeout") || msg.toLowerCase().contains("timed out");
    if (timedOut && engine == Engine.IKLLAMA) {
      return new ProbeResult(ProbeResult.State.LOADING, "/health did not answer within " + timeoutMs + " ms (loading?)");
    }
    return new ProbeResult(ProbeResult.State.DOWN, timedOut ? "/health did not answer within " + timeoutMs + " ms" : abbreviate(msg));
  }

  /**
   * What an engine says about itself: its model names and its real context window. A null list or
   * window means that lookup failed, and the matching problem says why.
   */
  public record Discovery(List<String> models, String modelProblem, Integer window, String windowProblem) {}

  /** Served model names from {@code /v1/models} and the window from wherever the engine reports it. */
  public Future<Discovery> discover(BackendConfig b) {
    Future<List<String>> models = get(b, "/v1/models").compose(r -> r.status == 200 ? Future.succeededFuture(modelIds(r.body))
        : Future.failedFuture("/v1/models answered " + r.status));
    return models.transform(m -> discoverWindow(b).transform(w -> Future.succeededFuture(new Discovery(
        m.succeeded() ? m.result() : null, m.failed() ? problem(m.cause()) : null,
        w.succeeded() ? w.result() : null, w.failed() ? problem(w.cause()) : null))));
  }

  /**
   * One request the gateway knows is good, answered with one token: the only way to tell an engine
   * that still answers {@code /health} but no longer serves from one that is fine.
   */
  public Future<ProbeResult> deepProbe(BackendConfig b, String model, long timeout) {
    String body = "{\"model\":" + (model == null ? "null" : JsonBytes.quote(model))
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}],\"max_tokens\":1,\"temperature\":0,\"stream\":false}";
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(UpstreamCall.baseUrl(b.url()) + "/v1/chat/completions")
        .putHeader("content-type", "application/json")
        .setConnectTimeout(Math.min(timeout, timeoutMs))
        .setIdleTimeout(timeout)
        .setTimeout(timeout);
    Credentials.apply(b, o);
    Future<Reply> reply;
    try {
      reply = client.request(o).compose(req -> req.send(body).compose(resp -> resp.body().map(x -> new Reply(resp.statusCode(), x))));
    } catch (IllegalStateException closed) {
      return Future.failedFuture(closed);
    }
    return reply.transform(ar -> {
      if (ar.failed()) {
        String why = problem(ar.cause());
        boolean timedOut = why.toLowerCase().contains("timeout") || why.toLowerCase().contains("timed out");
        return Future.succeededFuture(new ProbeResult(ProbeResult.State.DOWN, timedOut
            ? "a one-token request got no answer within " + timeout + " ms while /health said ready"
            : "a one-token request failed: " + why, timedOut));
      }
      int status = ar.result().status;
      if (status / 100 == 2) {
        return Future.succeededFuture(new ProbeResult(ProbeResult.State.READY, "ok"));
      }
      if (status == 503 || status == 429) {
        return Future.succeededFuture(new ProbeResult(ProbeResult.State.LOADING, "busy: a one-token request was answered " + status));
      }
      return Future.succeededFuture(new ProbeResult(ProbeResult.State.DOWN, "a one-token request was answered " + status
          + (ar.result().body.length() == 0 ? "" : ": " + abbreviate(secrets.redact(ar.result().body.toString())))));
    });
  }

  private static String problem(Throwable t) {
    String m = t.getMessage();
    return abbreviate(m == null ? t.getClass().getSimpleName() : m);
  }

  static List<String> modelIds(Buffer body) {
    List<String> ids = new ArrayList<>();
    try {
      JsonArray data = new JsonObject(body).getJsonArray("data");
      if (data != null) {
        for (Object m : data) {
          if (m instanceof JsonObject model && model.getString("id") != null) {
            ids.add(model.getString("id"));
          }
        }
      }
    } catch (RuntimeException notJson) {
      // Nothing learned.
    }
    return List.copyOf(ids);
  }

  /** The real context window; fails when the lookup failed, null when the engine does not say. */
  public Future<Integer> discoverWindow(BackendConfig b) {
    String path = switch (b.engine()) {
      case LLAMACPP -> "/props";
      case SGLANG -> "/get_model_info";
      default -> "/v1/models";
    };
    Future<Integer> first = get(b, path).compose(r -> r.status == 200 ? Future.succeededFuture(window(b, r.body))
        : Future.failedFuture(path + " answered " + r.status));
    if (b.engine() != Engine.SGLANG) {
      return first;
    }
    return first.transform(ar -> ar.succeeded() && ar.result() != null ? Future.succeededFuture(ar.result())
        : get(b, "/v1/models").compose(r -> r.status == 200 ? Future.succeededFuture(window(b, r.body))
            : Future.failedFuture("/v1/models answered " + r.status)));
  }

  static Integer window(BackendConfig b, Buffer body) {
    try {
      JsonObject o = new JsonObject(body);
      JsonObject settings = o.getJsonObject("default_generation_settings");
      if (settings != null && settings.getInteger("n_ctx") != null) {
        return settings.getInteger("n_ctx");
      }
      if (o.getInteger("max_model_len") != null) {
        return o.getInteger("max_model_len");
      }
      if (o.getInteger("max_total_num_tokens") != null && o.getInteger("context_length") != null) {
        return o.getInteger("context_length");
      }
      if (o.getInteger("context_length") != null) {
        return o.getInteger("context_length");
      }
      JsonArray data = o.getJsonArray("data");
      if (data != null) {
        for (Object m : data) {
          if (m instanceof JsonObject model && model.getInteger("max_model_len") != null
              && (data.size() == 1 || model.getString("id", "").equals(b.model()))) {
            return model.getInteger("max_model_len");
          }
        }
      }
    } catch (RuntimeException notJson) {
      // An engine that answers something else simply tells us nothing.
    }
    return null;
  }

  private record Reply(int status, Buffer body) {}

  private Future<Reply> get(BackendConfig b, String path) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(UpstreamCall.baseUrl(b.url()) + path)
        .setConnectTimeout(timeoutMs)
        .setIdleTimeout(timeoutMs)
        .setTimeout(timeoutMs);
    Credentials.apply(b, o);
    try {
      // Nested, not chained: a probe may be sent from a thread that is not the client's event loop (the lifecycles'
      // warm-up probe at start), and a chained body() could then attach after the body arrived and never complete.
      return client.request(o).compose(req -> req.send().compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), body))));
    } catch (IllegalStateException closed) {
      // Vert.x throws rather than failing the future once the client is closed (shutdown).
      return Future.failedFuture(closed);
    }
  }

  private static String abbreviate(String s) {
    String t = s.strip();
    return t.length() > 200 ? t.substring(0, 200) + "…" : t;
  }
}
