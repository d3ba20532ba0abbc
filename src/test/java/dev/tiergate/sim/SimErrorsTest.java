package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Context limits, malformed bodies and loading: each engine refuses in its own words. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class SimErrorsTest {
  /** 150 characters at one char per token against a 100-token window. */
  private static final String LONG = "x".repeat(150);

  private static SimOptions small(String engine) {
    return fast(engine).withContextWindow(100).withCharsPerToken(1);
  }

  @Test
  void vllmContextTooLong(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, small("vllm"), (sim, http) -> http
        .post("/v1/chat/completions", chat(LONG, 10, true, null))
        .map(r -> {
          assertEquals(400, r.status());
          JsonObject err = r.json().getJsonObject("error");
          assertTrue(err.getString("message").startsWith("This model's maximum context length is 100 tokens."));
          assertEquals("BadRequestError", err.getString("type"));
          assertEquals(400, err.getInteger("code"));
          assertTrue(err.containsKey("param"));
          return r;
        })
        // prompt fits, prompt + max_tokens does not
        .compose(x -> http.post("/v1/chat/completions", chat("x".repeat(50), 80, false, null)))
        .map(r -> {
          assertEquals(400, r.status(), r.body());
          return r;
        }));
  }

  @Test
  void sglangContextTooLong(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, small("sglang"), (sim, http) -> http
        .post("/v1/chat/completions", chat(LONG, 10, false, null))
        .map(r -> {
          assertEquals(400, r.status());
          JsonObject j = r.json();
          assertEquals("error", j.getString("object"));
          assertEquals(400, j.getInteger("code"));
          assertTrue(j.getString("message").contains("maximum context length of 100 tokens"));
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat(LONG, 10, true, null)))
        .map(r -> {
          assertEquals(200, r.status(), "SGLang streams the refusal");
          List<String> data = r.data();
          assertEquals(2, data.size(), r.body());
          assertEquals(400, new JsonObject(data.get(0)).getJsonObject("error").getInteger("code"));
          assertEquals("[DONE]", data.get(1));
          return r;
        }));
  }

  @Test
  void llamacppContextTooLong(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, small("llamacpp"), (sim, http) -> http
        .post("/v1/chat/completions", chat(LONG, 10, true, null))
        .map(r -> {
          assertEquals(400, r.status(), "llama.cpp refuses before streaming, even for stream requests");
          JsonObject err = r.json().getJsonObject("error");
          assertEquals("exceed_context_size_error", err.getString("type"));
          assertEquals(150, err.getInteger("n_prompt_tokens"));
          assertEquals(100, err.getInteger("n_ctx"));
          return r;
        })
        // an oversized max_tokens is not an error: generation stops when the slot is full (capture 08e)
        .compose(x -> http.post("/v1/chat/completions", chat("x".repeat(60), 1000, false, null)))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          JsonObject usage = r.json().getJsonObject("usage");
          assertEquals(40, usage.getInteger("completion_tokens"));
          assertEquals(100, usage.getInteger("total_tokens"));
          return r;
        }));
  }

  @Test
  void ikllamaTruncatesSilently(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, small("ikllama"), (sim, http) -> http
        .post("/v1/chat/completions", chat(LONG, 5, false, null))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          assertTrue(r.json().getJsonObject("usage").getInteger("prompt_tokens") < 100);
          return r;
        }));
  }

  @Test
  void badJsonAndMissingMessages(Vertx vertx, VertxTestContext ctx) {
    String broken = "{\"messages\": [ {\"role\":\"user\", \"content\": \"x\"} ";
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http.post("/v1/chat/completions", broken)
        .map(r -> {
          assertEquals(500, r.status(), "llama.cpp answers malformed JSON with 500 (capture 09a)");
          assertEquals("server_error", r.json().getJsonObject("error").getString("type"));
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", "{\"model\":\"tiny\",\"max_tokens\":4}"))
        .map(r -> {
          assertEquals(400, r.status());
          assertEquals("'messages' is required", r.json().getJsonObject("error").getString("message"));
          assertEquals(2, sim.stats().requests());
          assertEquals(0, sim.stats().completed());
          assertEquals("{\"model\":\"tiny\",\"max_tokens\":4}", sim.stats().lastRequestBody());
          return r;
        })
        .compose(x -> SimServer.start(vertx, fast("vllm")))
        .compose(v -> new SimTesting.Http(vertx, http.client(), v.port()).post("/v1/chat/completions", broken)
            .map(r -> {
              assertEquals(400, r.status(), "vLLM answers malformed JSON with 400");
              assertEquals(400, r.json().getJsonObject("error").getInteger("code"));
              return r;
            })
            .eventually(v::close)));
  }

  @Test
  void unknownRouteAndInfo(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm").withContextWindow(32768), (sim, http) -> http.get("/v1/nope")
        .map(r -> {
          assertEquals(404, r.status());
          r.json();
          return r;
        })
        .compose(x -> http.get("/v1/models"))
        .map(r -> {
          assertEquals(32768, r.json().getJsonArray("data").getJsonObject(0).getInteger("max_model_len"));
          return r;
        })
        .compose(x -> http.get("/health"))
        .map(r -> {
          assertEquals(200, r.status());
          assertEquals("", r.body());
          return r;
        })
        .compose(x -> http.get("/metrics"))
        .map(r -> {
          assertTrue(r.body().contains("vllm:num_requests_running{"), r.body());
          return r;
        }));
  }

  @Test
  void llamacppLoading(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp").withLoadingSeconds(0.6), (sim, http) -> http.get("/health")
        .map(r -> {
          assertEquals(503, r.status());
          JsonObject err = r.json().getJsonObject("error");
          assertEquals("Loading model", err.getString("message"));
          assertEquals("unavailable_error", err.getString("type"));
          return r;
        })
        .compose(x -> http.get("/v1/models"))
        .map(r -> {
          assertEquals(200, r.status(), "llama.cpp lists models while loading");
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat("hi", 3, true, null)))
        .map(r -> {
          assertEquals(503, r.status());
          return r;
        })
        .compose(x -> http.await(() -> true, 10, "nothing").compose(y -> http.sleep(700)))
        .compose(x -> http.get("/health"))
        .map(r -> {
          assertEquals(200, r.status());
          assertEquals("ok", r.json().getString("status"));
          return r;
        }));
  }

  @Test
  void ikllamaHoldsRequestsWhileLoading(Vertx vertx, VertxTestContext ctx) {
    long t0 = System.nanoTime();
    SimTesting.run(vertx, ctx, fast("ikllama").withLoadingSeconds(0.4), (sim, http) -> http
        .post("/v1/chat/completions", chat("hi", 3, false, null))
        .map(r -> {
          double s = (System.nanoTime() - t0) / 1e9;
          assertEquals(200, r.status());
          assertTrue(s >= 0.3, "answered after " + s + " s, before loading ended");
          return r;
        }));
  }
}
