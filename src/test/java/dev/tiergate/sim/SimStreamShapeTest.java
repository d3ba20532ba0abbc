package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each engine's stream must look like the real one: first chunk, finish placement, usage rules, [DONE]. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class SimStreamShapeTest {
  private static final String WITH_USAGE = "\"stream_options\":{\"include_usage\":true}";

  private static JsonObject choice(JsonObject event) {
    return event.getJsonArray("choices").getJsonObject(0);
  }

  private static JsonObject delta(JsonObject event) {
    return choice(event).getJsonObject("delta");
  }

  private static void assertContentTokens(List<JsonObject> events, int from, int to) {
    for (int i = from; i < to; i++) {
      String c = delta(events.get(i)).getString("content");
      assertNotNull(c, "content at event " + i);
      assertFalse(c.isEmpty(), "content at event " + i);
    }
  }

  @Test
  void vllm(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 5, true, WITH_USAGE))
        .map(r -> {
          assertEquals(200, r.status());
          assertTrue(r.headers().get("Content-Type").startsWith("text/event-stream"));
          List<String> data = r.data();
          assertEquals("[DONE]", data.get(data.size() - 1));
          List<JsonObject> ev = r.events();
          assertEquals(7, ev.size(), r.body()); // role + 5 tokens + usage
          assertEquals(new JsonObject().put("role", "assistant").put("content", ""), delta(ev.get(0)));
          assertEquals("chat.completion.chunk", ev.get(0).getString("object"));
          assertEquals("qwen3.6-27b", ev.get(0).getString("model"));
          assertTrue(ev.get(0).getString("id").startsWith("chatcmpl-"));
          assertContentTokens(ev, 1, 6);
          for (int i = 1; i < 5; i++) {
            assertNull(choice(ev.get(i)).getValue("finish_reason"));
          }
          JsonObject last = choice(ev.get(5));
          assertEquals("length", last.getString("finish_reason"), "vLLM finishes on the last text event");
          assertTrue(last.containsKey("stop_reason"));
          JsonObject usage = ev.get(6).getJsonObject("usage");
          assertTrue(ev.get(6).getJsonArray("choices").isEmpty());
          assertEquals(5, usage.getInteger("completion_tokens"));
          assertEquals(usage.getInteger("prompt_tokens") + 5, usage.getInteger("total_tokens"));
          assertEquals(0, usage.getJsonObject("prompt_tokens_details").getInteger("cached_tokens"));
          return r;
        })
        // vLLM reports usage for any stream_options object, even without include_usage
        .compose(x -> http.post("/v1/chat/completions", chat("Say hi.", 3, true, "\"stream_options\":{}")))
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertTrue(ev.get(ev.size() - 1).containsKey("usage"), r.body());
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat("Say hi.", 3, true, null)))
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(4, ev.size(), r.body());
          ev.forEach(e -> assertFalse(e.containsKey("usage")));
          assertEquals("[DONE]", r.data().get(r.data().size() - 1));
          return r;
        }));
  }

  @Test
  void sglang(Vertx vertx, VertxTestContext ctx) {
    String body = chat("Say hi.", 4, true, WITH_USAGE).replace("qwen3.6-27b", "client-name");
    SimTesting.run(vertx, ctx, fast("sglang"), (sim, http) -> http.post("/v1/chat/completions", body)
        .map(r -> {
          assertEquals(200, r.status());
          List<JsonObject> ev = r.events();
          assertEquals(7, ev.size(), r.body()); // role + 4 tokens + finish + usage
          JsonObject role = delta(ev.get(0));
          assertEquals("assistant", role.getString("role"));
          assertEquals("", role.getString("content"));
          assertTrue(role.containsKey("reasoning_content") && role.getValue("reasoning_content") == null);
          assertEquals("client-name", ev.get(0).getString("model"), "SGLang echoes the request's model");
          assertContentTokens(ev, 1, 5);
          assertNull(choice(ev.get(4)).getValue("finish_reason"), "SGLang finishes in a separate event");
          JsonObject fin = choice(ev.get(5));
          assertEquals("length", fin.getString("finish_reason"));
          assertTrue(fin.containsKey("matched_stop"));
          assertNull(fin.getJsonObject("delta").getValue("content"));
          assertEquals(4, ev.get(6).getJsonObject("usage").getInteger("completion_tokens"));
          assertEquals("[DONE]", r.data().get(r.data().size() - 1));
          return r;
        })
        // SGLang needs include_usage itself; an empty stream_options is not enough
        .compose(x -> http.post("/v1/chat/completions", chat("Say hi.", 3, true, "\"stream_options\":{}")))
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(5, ev.size(), r.body());
          assertNull(ev.get(4).getValue("usage"));
          return r;
        }));
  }

  @Test
  void llamacpp(Vertx vertx, VertxTestContext ctx) {
    String body = chat("Count to five.", 5, true, WITH_USAGE).replace("qwen3.6-27b", "tiny");
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http.post("/v1/chat/completions", body)
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(8, ev.size(), r.body()); // role + 5 tokens + finish + usage
          JsonObject role = delta(ev.get(0));
          assertTrue(role.containsKey("content") && role.getValue("content") == null);
          assertEquals("qwen3.6-27b", ev.get(0).getString("model"), "llama.cpp reports its own model name");
          assertEquals(Outcome.FINGERPRINT, ev.get(0).getString("system_fingerprint"));
          assertContentTokens(ev, 1, 6);
          JsonObject fin = ev.get(6);
          assertEquals(new JsonObject(), delta(fin));
          assertEquals("length", choice(fin).getString("finish_reason"));
          assertFalse(fin.containsKey("timings"), "with usage asked, timings ride on the usage event");
          JsonObject usageEvent = ev.get(7);
          assertTrue(usageEvent.getJsonArray("choices").isEmpty());
          assertEquals(5, usageEvent.getJsonObject("usage").getInteger("completion_tokens"));
          JsonObject t = usageEvent.getJsonObject("timings");
          for (String k : List.of("cache_n", "prompt_n", "prompt_ms", "prompt_per_second", "predicted_n",
              "predicted_ms", "predicted_per_second")) {
            assertTrue(t.containsKey(k), k);
          }
          assertEquals(5, t.getInteger("predicted_n"));
          assertEquals("[DONE]", r.data().get(r.data().size() - 1));
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat("Count to five.", 3, true, null)))
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(5, ev.size(), r.body());
          JsonObject fin = ev.get(4);
          assertEquals("length", choice(fin).getString("finish_reason"));
          assertTrue(fin.containsKey("timings"), "without usage, timings ride on the finish event");
          ev.forEach(e -> assertFalse(e.containsKey("usage")));
          return r;
        }));
  }

  @Test
  void ikllama(Vertx vertx, VertxTestContext ctx) {
    String body = chat("Say hi.", 4, true, WITH_USAGE).replace("qwen3.6-27b", "client-name");
    SimTesting.run(vertx, ctx, fast("ikllama"), (sim, http) -> http.post("/v1/chat/completions", body)
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(7, ev.size(), r.body());
          assertNull(delta(ev.get(0)).getValue("content"));
          assertEquals("assistant", delta(ev.get(0)).getString("role"));
          assertEquals("client-name", ev.get(0).getString("model"));
          assertContentTokens(ev, 1, 5);
          JsonObject fin = ev.get(5);
          assertEquals(new JsonObject(), delta(fin));
          assertEquals("stop", choice(fin).getString("finish_reason"), "ik_llama says stop even at max_tokens");
          JsonObject last = ev.get(6);
          assertEquals(4, last.getJsonObject("usage").getInteger("completion_tokens"));
          JsonObject t = last.getJsonObject("timings");
          assertFalse(t.containsKey("cache_n"));
          assertEquals(262144, t.getInteger("n_ctx"));
          assertEquals(last.getJsonObject("usage").getInteger("total_tokens"), t.getInteger("n_past"));
          assertEquals("[DONE]", r.data().get(r.data().size() - 1));
          return r;
        }));
  }

  @Test
  void completionsStreamLlamacpp(Vertx vertx, VertxTestContext ctx) {
    String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"stream\":true," + WITH_USAGE + "}";
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http.post("/v1/completions", body)
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(5, ev.size(), r.body()); // 4 texts + finish (with usage and timings)
          for (int i = 0; i < 4; i++) {
            assertEquals("text_completion", ev.get(i).getString("object"));
            assertFalse(choice(ev.get(i)).getString("text").isEmpty());
          }
          JsonObject fin = ev.get(4);
          assertEquals("", choice(fin).getString("text"));
          assertEquals("length", choice(fin).getString("finish_reason"));
          assertEquals(4, fin.getJsonObject("usage").getInteger("completion_tokens"));
          assertNotNull(fin.getJsonObject("timings"));
          assertEquals("[DONE]", r.data().get(r.data().size() - 1));
          return r;
        }));
  }

  @Test
  void completionsStreamVllm(Vertx vertx, VertxTestContext ctx) {
    String body = "{\"model\":\"qwen3.6-27b\",\"prompt\":\"Once\",\"max_tokens\":3,\"stream\":true}";
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http.post("/v1/completions", body)
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertEquals(3, ev.size(), r.body());
          assertTrue(ev.get(0).getString("id").startsWith("cmpl-"));
          assertEquals("length", choice(ev.get(2)).getString("finish_reason"));
          return r;
        }));
  }

  @Test
  void reasoningBeforeContent(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm").withReasoningTokens(2), (sim, http) -> http
        .post("/v1/chat/completions", chat("Think.", 4, true, null))
        .map(r -> {
          List<JsonObject> ev = r.events();
          assertNotNull(delta(ev.get(1)).getString("reasoning"), r.body());
          assertNotNull(delta(ev.get(2)).getString("reasoning"));
          assertNotNull(delta(ev.get(3)).getString("content"));
          return r;
        })
        .compose(x -> SimServer.start(vertx, fast("llamacpp").withReasoningTokens(1)))
        .compose(ll -> new SimTesting.Http(vertx, http.client(), ll.port())
            .post("/v1/chat/completions", chat("Think.", 2, false, null))
            .map(r -> {
              JsonObject msg = r.json().getJsonArray("choices").getJsonObject(0).getJsonObject("message");
              assertFalse(msg.getString("reasoning_content").isEmpty(), r.body());
              assertFalse(msg.getString("content").isEmpty());
              assertEquals(2, r.json().getJsonObject("usage").getInteger("completion_tokens"));
              return r;
            })
            .eventually(ll::close)));
  }

  @Test
  void toolCallStream(Vertx vertx, VertxTestContext ctx) {
    String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
        + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http
        .post("/v1/chat/completions", chat("What's the weather in Paris?", 50, true, tools))
        .map(r -> {
          List<JsonObject> ev = r.events();
          JsonObject first = delta(ev.get(1)).getJsonArray("tool_calls").getJsonObject(0);
          assertEquals(0, first.getInteger("index"));
          assertTrue(first.getString("id").startsWith("call_"));
          assertEquals("function", first.getString("type"));
          assertEquals("get_weather", first.getJsonObject("function").getString("name"));
          assertEquals("", first.getJsonObject("function").getString("arguments"));
          StringBuilder args = new StringBuilder();
          for (int i = 2; i < ev.size(); i++) {
            JsonArray calls = delta(ev.get(i)).getJsonArray("tool_calls");
            args.append(calls.getJsonObject(0).getJsonObject("function").getString("arguments"));
          }
          assertEquals("Paris", new JsonObject(args.toString()).getString("city"));
          assertEquals("tool_calls", choice(ev.get(ev.size() - 1)).getString("finish_reason"));
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat("hello", 5, false, null), "x-sim-tool-call", "true"))
        .map(r -> {
          JsonObject c = r.json().getJsonArray("choices").getJsonObject(0);
          assertEquals("tool_calls", c.getString("finish_reason"));
          JsonObject fn = c.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0)
              .getJsonObject("function");
          assertEquals("Paris", new JsonObject(fn.getString("arguments")).getString("city"));
          return r;
        }));
  }

  @Test
  void nonStreamBodies(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 6, false, null))
        .map(r -> {
          JsonObject j = r.json();
          assertEquals("chat.completion", j.getString("object"));
          JsonObject c = j.getJsonArray("choices").getJsonObject(0);
          assertEquals("length", c.getString("finish_reason"));
          assertEquals(6, c.getJsonObject("message").getString("content").split(" ").length);
          assertEquals(6, j.getJsonObject("usage").getInteger("completion_tokens"));
          assertEquals(6, j.getJsonObject("timings").getInteger("predicted_n"));
          return r;
        })
        .compose(x -> http.post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":3}"))
        .map(r -> {
          assertEquals("text_completion", r.json().getString("object"));
          assertNotNull(r.json().getJsonObject("timings"));
          return r;
        })
        .compose(x -> Future.succeededFuture()));
  }

  @Test
  void stampedEvents(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("sglang").withStampEvents(true), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 5, true, WITH_USAGE))
        .map(r -> {
          long prev = 0;
          assertEquals(8, r.events().size(), "role, 5 tokens, finish, usage: " + r.body());
          for (JsonObject e : r.events()) {
            long ts = e.getLong("sim_ts_us");
            assertTrue(ts >= prev && ts > 1_600_000_000_000_000L, e.encode());
            prev = ts;
          }
          return r;
        }));
  }

  /** Role chunk and first token, with the time the sim stamped on each (epoch microseconds). */
  private static long[] roleThenFirstToken(SimTesting.Reply r) {
    List<JsonObject> ev = r.events();
    JsonObject role = delta(ev.get(0));
    assertEquals("assistant", role.getString("role"), r.body());
    assertContentTokens(ev, 1, 2);
    return new long[] {ev.get(0).getLong("sim_ts_us"), ev.get(1).getLong("sim_ts_us")};
  }

  @Test
  void roleDelaySendsTheRoleChunkAtOnceAndTheFirstTokenLater(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm").withStampEvents(true), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 3, true, null), "x-sim-role-delay-ms", "300")
        .map(r -> {
          long[] ts = roleThenFirstToken(r);
          assertTrue(ts[1] - ts[0] >= 300_000, "role chunk " + (ts[1] - ts[0]) + " us before the first token");
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat("Say hi.", 3, true, null), "x-sim-role-delay-ms", "-1"))
        .map(r -> {
          assertEquals(400, r.status(), r.body());
          return r;
        })
        .compose(x -> SimServer.start(vertx, fast("llamacpp").withStampEvents(true).withRoleDelayMs(300)))
        .compose(other -> new SimTesting.Http(vertx, http.client(), other.port())
            .post("/v1/chat/completions", chat("Say hi.", 3, true, null))
            .map(r -> {
              long[] ts = roleThenFirstToken(r);
              assertTrue(ts[1] - ts[0] >= 300_000, "the option does what the header does: " + (ts[1] - ts[0]));
              return r;
            })
            .eventually(other::close)));
  }
}
