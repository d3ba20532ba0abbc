package dev.tiergate.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small engine stand-in whose answers a test scripts route by route, for wire shapes the
 * simulator does not produce (an error that echoes a header, a 401, a 2 MiB event, a usage block
 * with cached tokens, a window that changes). Every request is recorded with its headers and body.
 * By default {@code GET /health} is 200 and {@code GET /v1/models} lists model {@code m}.
 */
public final class FakeEngine implements AutoCloseable {
  /** What the engine answers on one route; runs on the engine's event loop with the whole request body. */
  public interface Responder {
    void respond(HttpServerRequest req, Buffer body);
  }

  /** One request as the engine received it. */
  public record Seen(String method, String path, MultiMap headers, String body) {}

  private final HttpServer server;
  private final Map<String, Responder> routes = new ConcurrentHashMap<>();
  private final List<Seen> seen = new ArrayList<>();

  private FakeEngine(Vertx vertx) {
    this.server = vertx.createHttpServer().requestHandler(this::handle);
    on("GET", "/health", (req, body) -> json(req, 200, "{\"status\":\"ok\"}"));
    on("GET", "/v1/models", (req, body) -> json(req, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"}]}"));
  }

  public static FakeEngine start(Vertx vertx) {
    FakeEngine e = new FakeEngine(vertx);
    TestGateway.await(e.server.listen(0, "127.0.0.1"));
    return e;
  }

  /** Replaces what {@code method path} answers. */
  public FakeEngine on(String method, String path, Responder r) {
    routes.put(method + " " + path, r);
    return this;
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** Requests to {@code path} so far (any method), oldest first. */
  public List<Seen> seen(String path) {
    synchronized (seen) {
      return seen.stream().filter(s -> s.path().equals(path)).toList();
    }
  }

  /** Requests to the generation endpoints so far, oldest first. */
  public List<Seen> generations() {
    synchronized (seen) {
      return seen.stream().filter(s -> s.path().startsWith("/v1/chat") || s.path().equals("/v1/completions")).toList();
    }
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(req.headers());
      synchronized (seen) {
        seen.add(new Seen(req.method().name(), req.path(), headers, body.toString()));
      }
      Responder r = routes.get(req.method().name() + " " + req.path());
      if (r == null) {
        json(req, 404, "{\"error\":{\"message\":\"File Not Found\",\"type\":\"not_found_error\",\"code\":404}}");
      } else {
        r.respond(req, body);
      }
    });
  }

  public static void json(HttpServerRequest req, int status, String body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }

  /** A chat chunk whose delta carries {@code content} (or only the role when null). */
  public static String chunk(String content) {
    String delta = content == null ? "{\"role\":\"assistant\",\"content\":null}" : "{\"content\":\"" + content + "\"}";
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}";
  }

  /** A whole non-streamed chat completion. */
  public static String completion(String content) {
    return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}";
  }

  /** Starts an SSE response. */
  public static void sseHead(HttpServerRequest req) {
    req.response().setStatusCode(200).putHeader("content-type", "text/event-stream").setChunked(true);
  }

  public static Buffer event(String data) {
    return Buffer.buffer("data: " + data + "\n\n");
  }

  @Override
  public void close() {
    TestGateway.await(server.close());
  }
}
