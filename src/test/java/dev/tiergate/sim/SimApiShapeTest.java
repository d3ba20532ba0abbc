package dev.tiergate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tiergate.testing.Captures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulated llama.cpp answers each new endpoint with the same status, the same event names in the
 * same order, and the same JSON structure (keys and value types) as the real llama-server in captures
 * 16–19, for the captured request itself. Values (text, ids, counts) are the sim's own.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SimApiShapeTest {
  @ParameterizedTest
  @ValueSource(strings = {"16a_responses_nonstream", "16b_responses_stream", "16c_responses_input_tokens",
      "17a_messages_nonstream", "17b_messages_stream", "17c_messages_count_tokens", "17d_messages_bad",
      "18a_chat_input_tokens", "19a_embeddings_without_flag", "19b_rerank_without_flag"})
  void llamaCppAnswersAsCaptured(String capture, Vertx vertx, VertxTestContext ctx) {
    Captures.Capture real = Captures.load(capture);
    String request = Captures.request(capture);
    String path = pathOf(capture);
    SimTesting.run(vertx, ctx, SimTesting.fast("llamacpp").withModel("models/tiny.gguf"), (sim, http) ->
        http.post(path, request).compose(r -> {
          ctx.verify(() -> {
            assertEquals(real.status(), r.status(), r.body());
            if (r.headers().get("content-type").startsWith("text/event-stream")) {
              assertEquals(stream(real.body()), stream(r.body()), "event names and each event's structure");
            } else {
              assertEquals(shape(new JsonObject(real.body())), shape(new JsonObject(r.body())), r.body());
            }
          });
          return Future.succeededFuture();
        }));
  }

  /** The path of the captured request line ({@code POST http://127.0.0.1:18081/v1/...}). */
  static String pathOf(String capture) {
    try (var in = Captures.class.getResourceAsStream("/engine-transcripts/llamacpp/" + capture + ".request.txt")) {
      String all = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      String line = all.substring(0, all.indexOf('\n')).strip();
      return line.substring(line.indexOf("/v1/"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Event names with runs of the same name collapsed, each with the structure of its first occurrence. */
  static List<Map.Entry<String, Object>> stream(String body) {
    List<Map.Entry<String, Object>> out = new ArrayList<>();
    for (String block : body.replace("\r\n", "\n").split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      String[] lines = block.split("\n");
      String name = lines[0].substring("event: ".length());
      if (!out.isEmpty() && out.get(out.size() - 1).getKey().equals(name)) {
        continue;
      }
      out.add(Map.entry(name, shape(new JsonObject(lines[1].substring("data: ".length())))));
    }
    return out;
  }

  /** Keys and value types, recursively; arrays by their first element. */
  static Object shape(Object v) {
    if (v instanceof JsonObject o) {
      Map<String, Object> m = new TreeMap<>();
      o.forEach(e -> m.put(e.getKey(), shape(e.getValue())));
      return m;
    }
    if (v instanceof JsonArray a) {
      return a.isEmpty() ? List.of() : List.of(shape(a.getValue(0)));
    }
    if (v instanceof Number) {
      return "number";
    }
    return v == null ? "null" : v instanceof String ? "string" : v.getClass().getSimpleName();
  }
}
