package dev.tiergate.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engines' sleep APIs in the simulator, each in its engine's shape. */
class SimSleepTest {
  static final String CHAT = "{\"model\":\"m\",\"max_tokens\":6,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  final Vertx vertx = Vertx.vertx();
  final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  SimServer start(SimOptions o) throws Exception {
    return SimServer.start(vertx, o.withPort(0)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  HttpResponse<String> send(SimServer s, String method, String path, String body) throws Exception {
    return sendAsync(s, method, path, body).get(10, TimeUnit.SECONDS);
  }

  CompletableFuture<HttpResponse<String>> sendAsync(SimServer s, String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .header("content-type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String content(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
  }

  @Test
  void vllmSleepsHoldsRequestsUnansweredAndWakesUp() throws Exception {
    SimServer s = start(SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
        .withDecodeTps(2000).withSleep(new SleepModel(50, 50, false)));
    String before = content(send(s, "POST", "/v1/chat/completions", CHAT));
    assertEquals(200, send(s, "POST", "/sleep?level=1", null).statusCode());
    assertTrue(new JsonObject(send(s, "GET", "/is_sleeping", null).body()).getBoolean("is_sleeping"));
    assertEquals(200, send(s, "GET", "/health", null).statusCode(), "/health says nothing about sleep, as on vLLM");

    CompletableFuture<HttpResponse<String>> parked = sendAsync(s, "POST", "/v1/chat/completions", CHAT);
    Thread.sleep(300);
    assertFalse(parked.isDone(), "a sleeping engine does not answer");
    assertEquals(200, send(s, "POST", "/wake_up", null).statusCode());
    assertFalse(new JsonObject(send(s, "GET", "/is_sleeping", null).body()).getBoolean("is_sleeping"));
    assertEquals(before, content(parked.get(5, TimeUnit.SECONDS)), "answered once awake, as before the sleep");
  }

  @Test
  void aCorruptingWakeChangesTheAnswerToTheSamePrompt() throws Exception {
    SimServer s = start(SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
        .withDecodeTps(2000).withSleep(new SleepModel(10, 10, true)));
    String before = content(send(s, "POST", "/v1/chat/completions", CHAT));
    assertEquals(before, content(send(s, "POST", "/v1/chat/completions", CHAT)), "temperature 0: the same answer twice");
    send(s, "POST", "/sleep?level=1", null);
    send(s, "POST", "/wake_up", null);
    assertNotEquals(before, content(send(s, "POST", "/v1/chat/completions", CHAT)));
  }

  @Test
  void sglangRefusesToReleaseMemoryWhileRequestsRun() throws Exception {
    SimServer s = start(SimOptions.defaults("sglang").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
        .withDecodeTps(20).withSleep(new SleepModel(10, 10, false)));
    CompletableFuture<HttpResponse<String>> running = sendAsync(s, "POST", "/v1/chat/completions",
        CHAT.replace("\"max_tokens\":6", "\"max_tokens\":20"));
    Thread.sleep(200);
    HttpResponse<String> refused = send(s, "POST", "/release_memory_occupation", "{\"tags\":[\"weights\",\"kv_cache\"]}");
    assertEquals(400, refused.statusCode(), refused.body());
    running.get(10, TimeUnit.SECONDS);
    assertEquals(200, send(s, "POST", "/release_memory_occupation", "{\"tags\":[\"weights\",\"kv_cache\"]}").statusCode());
    assertEquals(200, send(s, "POST", "/resume_memory_occupation", "{\"tags\":[\"weights\",\"kv_cache\"]}").statusCode());
    assertEquals(200, send(s, "POST", "/v1/chat/completions", CHAT).statusCode());
  }

  @Test
  void llamaCppUnloadsAndLoadsInRouterMode() throws Exception {
    SimServer s = start(SimOptions.defaults("llamacpp").withModel("m").withTtftBaseMs(1).withPrefillTps(1_000_000)
        .withDecodeTps(2000).withSleep(new SleepModel(10, 10, false)));
    assertEquals(200, send(s, "POST", "/models/unload", "{\"model\":\"m\"}").statusCode());
    String status = new JsonObject(send(s, "GET", "/models", null).body()).getJsonArray("data").getJsonObject(0)
        .getJsonObject("status").getString("value");
    assertEquals("unloaded", status);
    assertEquals(200, send(s, "POST", "/models/load", "{\"model\":\"m\"}").statusCode());
    assertEquals(200, send(s, "POST", "/v1/chat/completions", CHAT).statusCode());
  }
}
