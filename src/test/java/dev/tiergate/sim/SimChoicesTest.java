package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code n} choices as vLLM and SGLang answer them (from their source, see {@link StreamOutput} and
 * {@link JsonOutput}); llama.cpp's are compared with its captures in {@code SimMatchesLlamaCppCapturesTest}.
 * And each engine's refusal of an {@code n} it does not take.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class SimChoicesTest {
  private static final String USAGE = "\"stream_options\":{\"include_usage\":true}";

  private static JsonObject choice(JsonObject event) {
    return event.getJsonArray("choices").getJsonObject(0);
  }

  /** Per event: "role:i", "text:i", "finish:i" (a finish reason, with or without text) or "usage". */
  private static List<String> kinds(List<JsonObject> events) {
    List<String> out = new ArrayList<>();
    for (JsonObject e : events) {
      if (e.getJsonArray("choices").isEmpty()) {
        out.add("usage");
        continue;
      }
      JsonObject c = choice(e);
      int i = c.getInteger("index");
      JsonObject delta = c.getJsonObject("delta");
      if (c.getValue("finish_reason") != null) {
        out.add("finish:" + i);
      } else if (delta != null && delta.getValue("role") != null) {
        out.add("role:" + i);
      } else {
        out.add("text:" + i);
      }
    }
    return out;
  }

  private static String textOf(List<JsonObject> events, int index) {
    StringBuilder sb = new StringBuilder();
    for (JsonObject e : events) {
      if (!e.getJsonArray("choices").isEmpty() && choice(e).getInteger("index") == index) {
        JsonObject d = choice(e).getJsonObject("delta");
        Object t = d != null ? d.getValue("content") : choice(e).getValue("text");
        sb.append(t instanceof String s ? s : "");
      }
    }
    return sb.toString();
  }

  @Test
  void vllmStreamsEveryRoleFirstThenInterleavedChoicesThenOneSummedUsage(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 4, true, USAGE + ",\"n\":2"))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          assertEquals("[DONE]", r.data().get(r.data().size() - 1));
          List<JsonObject> ev = r.events();
          List<String> kinds = kinds(ev);
          assertEquals(List.of("role:0", "role:1"), kinds.subList(0, 2), "vLLM: all roles at the first output");
          assertEquals(3, kinds.stream().filter("text:0"::equals).count(), r.body());
          assertEquals(3, kinds.stream().filter("text:1"::equals).count(), r.body());
          assertEquals(1, kinds.stream().filter("finish:0"::equals).count(), "the finish rides on the last token");
          assertEquals(1, kinds.stream().filter("finish:1"::equals).count());
          assertEquals("usage", kinds.get(kinds.size() - 1));
          assertEquals(1, kinds.stream().filter("usage"::equals).count(), "one usage chunk for the request");
          assertTrue(kinds.indexOf("text:1") < kinds.lastIndexOf("text:0"), "interleaved: " + kinds);
          for (JsonObject e : ev.subList(2, ev.size() - 1)) {
            JsonObject c = choice(e);
            if (c.getValue("finish_reason") != null) {
              assertEquals("length", c.getString("finish_reason"));
              assertTrue(c.containsKey("stop_reason"));
              assertFalse(c.getJsonObject("delta").getString("content").isEmpty(), "it still carries text");
            }
          }
          JsonObject usage = ev.get(ev.size() - 1).getJsonObject("usage");
          assertEquals(8, usage.getInteger("completion_tokens"), "summed over the choices");
          assertEquals(usage.getInteger("prompt_tokens") + 8, usage.getInteger("total_tokens"), "the prompt once");
          assertNotEquals(textOf(ev, 0), textOf(ev, 1), "two samples, two answers");
          return r;
        }));
  }

  @Test
  void vllmAnswersEveryChoiceInOneBodyWithSummedUsage(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 4, false, "\"n\":3"))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          JsonObject body = r.json();
          JsonArray choices = body.getJsonArray("choices");
          assertEquals(3, choices.size());
          for (int i = 0; i < 3; i++) {
            JsonObject c = choices.getJsonObject(i);
            assertEquals(i, c.getInteger("index"));
            assertEquals("length", c.getString("finish_reason"));
            assertTrue(c.containsKey("stop_reason"));
            assertEquals(List.of("role", "content", "reasoning", "tool_calls"),
                new ArrayList<>(c.getJsonObject("message").fieldNames()));
          }
          JsonObject usage = body.getJsonObject("usage");
          assertEquals(12, usage.getInteger("completion_tokens"));
          assertEquals(usage.getInteger("prompt_tokens") + 12, usage.getInteger("total_tokens"));
          return r;
        })
        .compose(x -> http.post("/v1/completions",
            "{\"model\":\"qwen3.6-27b\",\"prompt\":\"Say hi.\",\"max_tokens\":3,\"n\":2}"))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          JsonArray choices = r.json().getJsonArray("choices");
          assertEquals(2, choices.size());
          assertEquals(1, choices.getJsonObject(1).getInteger("index"));
          assertEquals(6, r.json().getJsonObject("usage").getInteger("completion_tokens"));
          return r;
        }));
  }

  @Test
  void vllmStreamsCompletionsChoicesByIndex(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http
        .post("/v1/completions", "{\"model\":\"qwen3.6-27b\",\"prompt\":\"Say hi.\",\"max_tokens\":3,\"n\":2,"
            + "\"stream\":true," + USAGE + "}")
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          List<JsonObject> ev = r.events();
          assertEquals(7, ev.size(), "3 tokens per choice, then the usage: " + r.body());
          assertEquals(2, ev.stream().filter(e -> !e.getJsonArray("choices").isEmpty()
              && choice(e).getValue("finish_reason") != null).count());
          assertEquals(6, ev.get(6).getJsonObject("usage").getInteger("completion_tokens"));
          return r;
        }));
  }

  @Test
  void sglangEndsEveryChoiceAfterTheLastTokenThenSumsTheUsage(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("sglang"), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 3, true, USAGE + ",\"n\":2"))
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          List<String> kinds = kinds(r.events());
          assertEquals("role:0", kinds.get(0));
          assertTrue(kinds.indexOf("role:1") > 0 && kinds.indexOf("role:1") < kinds.lastIndexOf("text:0"), "" + kinds);
          int lastText = Math.max(kinds.lastIndexOf("text:0"), kinds.lastIndexOf("text:1"));
          assertEquals(List.of("finish:0", "finish:1", "usage"), kinds.subList(lastText + 1, kinds.size()),
              "SGLang sends the finish chunks after the generator ends: " + kinds);
          List<JsonObject> ev = r.events();
          assertEquals(6, ev.get(ev.size() - 1).getJsonObject("usage").getInteger("completion_tokens"));
          return r;
        }));
  }

  @Test
  void llamaCppEndsEachChoiceWithItsOwnUsage(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http
        .post("/v1/completions", "{\"prompt\":\"Say hi.\",\"max_tokens\":3,\"n\":2,\"stream\":true," + USAGE + "}")
        .map(r -> {
          assertEquals(200, r.status(), r.body());
          List<JsonObject> finishes = r.events().stream().filter(e -> choice(e).getValue("finish_reason") != null)
              .toList();
          assertEquals(2, finishes.size(), r.body());
          for (JsonObject f : finishes) {
            assertEquals(3, f.getJsonObject("usage").getInteger("completion_tokens"), "completions: usage on the finish");
            assertEquals(3, f.getJsonObject("timings").getInteger("predicted_n"));
          }
          return r;
        }));
  }

  private static Future<SimTesting.Reply> refused(SimTesting.Http http, String extra, String message) {
    return http.post("/v1/chat/completions", chat("Say hi.", 3, false, extra)).map(r -> {
      assertEquals(400, r.status(), extra + " → " + r.body());
      String got = r.json().containsKey("error") ? r.json().getJsonObject("error").getString("message")
          : r.json().getString("message");
      assertEquals(message, got, extra);
      return r;
    });
  }

  private static Future<Integer> choices(SimTesting.Http http, String extra) {
    return http.post("/v1/chat/completions", chat("Say hi.", 3, false, extra)).map(r -> {
      assertEquals(200, r.status(), extra + " → " + r.body());
      return r.json().getJsonArray("choices").size();
    });
  }

  @Test
  void vllmRefusesAnNItCannotRun(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> refused(http, "\"n\":0", "n must be at least 1, got 0.")
        .compose(x -> refused(http, "\"n\":-2", "n must be at least 1, got -2."))
        .compose(x -> refused(http, "\"n\":1.5", "n: Input should be a valid integer, got a number with a fractional part"))
        .compose(x -> refused(http, "\"n\":\"two\"", "n: Input should be a valid integer"))
        .compose(x -> refused(http, "\"n\":2,\"temperature\":0", "n must be 1 when using greedy sampling, got 2."))
        .compose(x -> refused(http, "\"n\":1025", "the simulator runs at most 1024 choices (n)"))
        .compose(x -> choices(http, "\"n\":\"2\"")).map(n -> {
          assertEquals(2, n, "pydantic's lax integer");
          return n;
        })
        .compose(x -> choices(http, "\"n\":null")).map(n -> {
          assertEquals(1, n);
          return n;
        }));
  }

  @Test
  void sglangRefusesANullN(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("sglang"), (sim, http) -> refused(http, "\"n\":null", "n: Input should be a valid integer")
        .compose(x -> refused(http, "\"n\":0", "n must be at least 1, got 0."))
        .compose(x -> choices(http, "\"n\":2")).map(n -> {
          assertEquals(2, n);
          return n;
        }));
  }

  @Test
  void llamaCppTakesNumbersOnlyAndNoMoreChoicesThanSlots(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp").withMaxRunning(4), (sim, http) ->
        refused(http, "\"n\":\"2\"", "Field 'n': [json.exception.type_error.302] type must be number, but is string")
        .compose(x -> refused(http, "\"n\":5", "n_cmpl cannot be greater than the number of slots, please increase -np"))
        .compose(x -> refused(http, "\"n\":0", "n must be at least 1, got 0."))
        .compose(x -> choices(http, "\"n\":4")).map(n -> {
          assertEquals(4, n);
          return n;
        })
        .compose(x -> choices(http, "\"n\":2.7")).map(n -> {
          assertEquals(2, n, "nlohmann's get<int> truncates");
          return n;
        })
        .compose(x -> choices(http, "\"n\":null")).map(n -> {
          assertEquals(1, n);
          return n;
        }));
  }

  @Test
  void oneChoiceIsTheDefaultEverywhere(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> http
        .post("/v1/chat/completions", chat("Say hi.", 3, true, USAGE))
        .map(r -> {
          assertEquals(List.of("role:0", "text:0", "text:0", "finish:0", "usage"), kinds(r.events()));
          assertNull(r.events().get(0).getValue("usage"));
          return r;
        }));
  }
}
