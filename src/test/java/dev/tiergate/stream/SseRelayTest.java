package dev.tiergate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay writes the events of one event-loop turn in one write (a backend that is ahead sends
 * many per read), keeps their order, never merges turns, and bounds a batch's size.
 */
class SseRelayTest {
  Vertx vertx;
  HttpServer server;
  HttpClient client;
  final AtomicInteger writes = new AtomicInteger();
  volatile Consumer<FakeSource> script = s -> {};
  volatile CompletableFuture<StreamOutcome> outcome = new CompletableFuture<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(req -> {
      HttpServerResponse resp = req.response().setChunked(true);
      FakeSource source = new FakeSource();
      SseRelay relay = new SseRelay(source, counting(resp), e -> Buffer.buffer("data: " + e.data() + "\n\n"),
          t -> "data: {\"error\":{\"message\":\"" + t.getMessage() + "\"}}\n\n", StreamListener.NONE);
      relay.start(List.of()).onComplete(ar -> outcome.complete(ar.result()));
      script.accept(source);
    });
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    client = vertx.createHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void eventsOfOneTurnGoOutInOneWrite() throws Exception {
    script = s -> {
      s.emit(events(0, 20));
      s.vertx.setTimer(20, id -> {
        s.emit(List.of(done()));
        s.end();
      });
    };
    String body = get();
    assertEquals(expected(0, 20) + "data: [DONE]\n\n", body);
    assertEquals(2, writes.get(), "one write for the burst of 20, one for [DONE]");
    assertEquals(StreamOutcome.OK, outcome.get(5, TimeUnit.SECONDS));
  }

  @Test
  void separateTurnsAreNeverHeldBackForEachOther() throws Exception {
    script = s -> {
      s.emit(events(0, 3));
      s.vertx.setTimer(30, a -> {
        s.emit(events(3, 3));
        s.vertx.setTimer(30, b -> {
          s.emit(List.of(done()));
          s.end();
        });
      });
    };
    assertEquals(expected(0, 6) + "data: [DONE]\n\n", get());
    assertEquals(3, writes.get());
  }

  @Test
  void aBurstLargerThanTheBatchCapIsWrittenInPieces() throws Exception {
    String big = "x".repeat(10_000);
    List<SseEvent> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(new SseEvent(Buffer.buffer("{\"i\":" + i + ",\"pad\":\"" + big + "\"}"), SseEvent.OUTPUT));
    }
    script = s -> {
      s.emit(burst);
      s.emit(List.of(done()));
      s.end();
    };
    String body = get();
    assertEquals(20, body.split("\"pad\"").length - 1, "every event arrived");
    assertTrue(writes.get() >= 3 && writes.get() <= 6, "about 200 KB in batches of 64 KB: " + writes.get() + " writes");
  }

  @Test
  void eventsBeforeAnUnfinishedEndStillPrecedeTheErrorEvent() throws Exception {
    script = s -> {
      s.emit(events(0, 5));
      s.end();
    };
    String body = get();
    assertTrue(body.startsWith(expected(0, 5)), body);
    assertTrue(body.endsWith("without [DONE]\"}}\n\n"), body);
    assertEquals(StreamOutcome.UPSTREAM_ERROR, outcome.get(5, TimeUnit.SECONDS));
  }

  private String get() throws Exception {
    Promise<String> body = Promise.promise();
    vertx.runOnContext(v -> client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(req -> req.send())
        .compose(resp -> resp.body())
        .map(Buffer::toString)
        .onComplete(body));
    return body.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<SseEvent> events(int from, int n) {
    List<SseEvent> out = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      out.add(new SseEvent(Buffer.buffer("{\"i\":" + i + "}"), SseEvent.OUTPUT));
    }
    return out;
  }

  private static String expected(int from, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < from + n; i++) {
      sb.append("data: {\"i\":").append(i).append("}\n\n");
    }
    return sb.toString();
  }

  private static SseEvent done() {
    return new SseEvent(Buffer.buffer("[DONE]"), SseEvent.DONE);
  }

  /** The real response, counting the writes that reach it. */
  private HttpServerResponse counting(HttpServerResponse real) {
    return (HttpServerResponse) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HttpServerResponse.class},
        (proxy, method, args) -> {
          if (method.getName().equals("write")) {
            writes.incrementAndGet();
          }
          try {
            Object r = method.invoke(real, args);
            return r == real ? proxy : r;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** An upstream that delivers what the test emits, honouring pause like the real one. */
  static final class FakeSource implements EventSource {
    final Vertx vertx = Vertx.currentContext().owner();
    final List<SseEvent> queued = new ArrayList<>();
    Handler<SseEvent> handler;
    Handler<Void> endHandler;
    boolean paused;
    boolean ended;

    void emit(List<SseEvent> events) {
      queued.addAll(events);
      drain();
    }

    void end() {
      ended = true;
      drain();
    }

    private void drain() {
      while (!paused && handler != null && !queued.isEmpty()) {
        handler.handle(queued.remove(0));
      }
      if (ended && queued.isEmpty() && endHandler != null) {
        Handler<Void> h = endHandler;
        endHandler = null;
        h.handle(null);
      }
    }

    @Override
    public void cancel() {
      handler = null;
    }

    @Override
    public FakeSource exceptionHandler(Handler<Throwable> h) {
      return this;
    }

    @Override
    public FakeSource handler(Handler<SseEvent> h) {
      handler = h;
      return this;
    }

    @Override
    public FakeSource pause() {
      paused = true;
      return this;
    }

    @Override
    public FakeSource resume() {
      paused = false;
      drain();
      return this;
    }

    @Override
    public FakeSource fetch(long amount) {
      return resume();
    }

    @Override
    public FakeSource endHandler(Handler<Void> h) {
      endHandler = h;
      return this;
    }
  }
}
