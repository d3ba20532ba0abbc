package dev.tiergate.sim;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/** Shared plumbing for the sim tests: a fast sim, a small HTTP helper and SSE splitting. */
final class SimTesting {
  private SimTesting() {
  }

  /** Fast enough that a whole stream takes a few milliseconds, so tests never wait on realistic rates. */
  static SimOptions fast(String engine) {
    return SimOptions.defaults(engine).withTtftBaseMs(5).withPrefillTps(1_000_000).withDecodeTps(2000)
        .withDefaultMaxTokens(8);
  }

  /** Starts the sim, runs the scenario, tears both down and reports the outcome to the test context. */
  static void run(Vertx vertx, VertxTestContext ctx, SimOptions options,
      BiFunction<SimServer, Http, Future<?>> scenario) {
    HttpClientAgent client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(1100));
    SimServer.start(vertx, options)
        .compose(sim -> {
          Future<?> f;
          try {
            f = scenario.apply(sim, new Http(vertx, client, sim.port()));
          } catch (Throwable t) {
            f = Future.failedFuture(t);
          }
          return f.eventually(sim::close);
        })
        .eventually(client::close)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            ctx.completeNow();
          } else {
            ctx.failNow(ar.cause());
          }
        });
  }

  record Reply(int status, MultiMap headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    /** The payload of every {@code data:} line, in order ("[DONE]" included). */
    List<String> data() {
      return SimTesting.data(body);
    }

    /** The JSON events, without the [DONE] marker. */
    List<JsonObject> events() {
      List<JsonObject> out = new ArrayList<>();
      for (String d : data()) {
        if (!d.equals("[DONE]")) {
          out.add(new JsonObject(d));
        }
      }
      return out;
    }
  }

  static List<String> data(String body) {
    List<String> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (block.startsWith("data: ")) {
        out.add(block.substring(6));
      }
    }
    return out;
  }

  record Http(Vertx vertx, HttpClientAgent client, int port) {
    Future<Reply> post(String path, String body, String... headers) {
      return send(HttpMethod.POST, path, body, headers);
    }

    Future<Reply> get(String path) {
      return send(HttpMethod.GET, path, null);
    }

    Future<Reply> send(HttpMethod method, String path, String body, String... headers) {
      return client.request(method, port, "127.0.0.1", path).compose(req -> {
        req.putHeader("Content-Type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
          req.putHeader(headers[i], headers[i + 1]);
        }
        return (body == null ? req.send() : req.send(body))
            .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b.toString())));
      });
    }

    /** Completes once the condition holds, checking every 10 ms; fails after {@code timeoutMs}. */
    Future<Void> await(BooleanSupplier condition, long timeoutMs, String what) {
      Promise<Void> p = Promise.promise();
      long deadline = System.nanoTime() + timeoutMs * 1_000_000;
      vertx.setPeriodic(10, id -> {
        if (condition.getAsBoolean()) {
          vertx.cancelTimer(id);
          p.tryComplete();
        } else if (System.nanoTime() > deadline) {
          vertx.cancelTimer(id);
          p.tryFail(new AssertionError("timed out waiting for " + what));
        }
      });
      return p.future();
    }

    Future<Void> sleep(long ms) {
      Promise<Void> p = Promise.promise();
      vertx.setTimer(ms, id -> p.complete());
      return p.future();
    }
  }

  /** A one-message chat body; {@code extra} holds further top-level members, e.g. {@code "stream_options":{}}. */
  static String chat(String content, int maxTokens, boolean stream, String extra) {
    JsonObject o = new JsonObject().put("model", "qwen3.6-27b")
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", content)))
        .put("max_tokens", maxTokens).put("stream", stream);
    if (extra != null) {
      o.mergeIn(new JsonObject("{" + extra + "}"));
    }
    return o.encode();
  }
}
