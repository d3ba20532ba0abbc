package dev.tiergate.sim;

import static dev.tiergate.sim.SimTesting.chat;
import static dev.tiergate.sim.SimTesting.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Faults on demand, and the sim noticing when its peer walks away. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class SimFaultTest {

  /** Opens a stream, counts data events as they arrive; the request handle lets the test reset it. */
  private static final class LiveStream {
    final AtomicInteger events = new AtomicInteger();
    final StringBuilder text = new StringBuilder();
    final Promise<Void> ended = Promise.promise();
    HttpClientRequest request;

    static Future<LiveStream> open(SimTesting.Http http, String body, String... headers) {
      LiveStream s = new LiveStream();
      return http.client().request(HttpMethod.POST, http.port(), "127.0.0.1", "/v1/chat/completions")
          .compose(req -> {
            s.request = req;
            for (int i = 0; i + 1 < headers.length; i += 2) {
              req.putHeader(headers[i], headers[i + 1]);
            }
            return req.send(body);
          })
          .map(resp -> {
            resp.handler(buf -> {
              synchronized (s) {
                s.text.append(buf.toString());
                s.events.set(SimTesting.data(s.text.toString()).size());
              }
            });
            resp.exceptionHandler(s.ended::tryFail);
            resp.endHandler(v -> s.ended.tryComplete());
            return s;
          });
    }

    synchronized String text() {
      return text.toString();
    }
  }

  @Test
  void error500(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http
        .post("/v1/chat/completions", chat("hi", 5, true, null), "x-sim-fault", "error-500")
        .map(r -> {
          assertEquals(500, r.status());
          JsonObject err = r.json().getJsonObject("error");
          assertEquals(500, err.getInteger("code"));
          assertEquals("server_error", err.getString("type"));
          return r;
        })
        .compose(x -> http.post("/v1/chat/completions", chat("hi", 5, false, null), "x-sim-fault", "error-503"))
        .map(r -> {
          assertEquals(503, r.status());
          return r;
        }));
  }

  @Test
  void stallMidThenClientLeaves(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> LiveStream
        .open(http, chat("hi", 50, true, null), "x-sim-fault", "stall-mid", "x-sim-fault-after", "2")
        .compose(s -> http.sleep(300).map(v -> {
          assertEquals(3, s.events.get(), "role chunk + 2 tokens, then silence: " + s.text());
          assertEquals(1, sim.stats().activeStreams());
          return s;
        }))
        .compose(s -> s.request.reset())
        .compose(v -> http.await(() -> sim.stats().aborted() == 1, 500, "abort of the stalled stream"))
        .map(v -> {
          assertEquals(0, sim.stats().activeStreams());
          assertEquals(0, sim.stats().completed());
          return v;
        }));
  }

  @Test
  void stallFirstSendsNothing(Vertx vertx, VertxTestContext ctx) {
    AtomicReference<HttpClientRequest> req = new AtomicReference<>();
    AtomicInteger responses = new AtomicInteger();
    SimTesting.run(vertx, ctx, fast("sglang").withFault("stall-first"), (sim, http) -> http.client()
        .request(HttpMethod.POST, http.port(), "127.0.0.1", "/v1/chat/completions")
        .compose(r -> {
          req.set(r);
          r.send(chat("hi", 5, true, null)).onSuccess(resp -> responses.incrementAndGet());
          return http.sleep(300);
        })
        .compose(v -> {
          assertEquals(0, responses.get(), "not even a status line");
          assertEquals(1, sim.stats().activeStreams());
          return req.get().reset();
        })
        .compose(v -> http.await(() -> sim.stats().aborted() == 1 && sim.stats().activeStreams() == 0, 500,
            "abort")));
  }

  @Test
  void dropMidClosesConnection(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("vllm"), (sim, http) -> LiveStream
        .open(http, chat("hi", 50, true, null), "x-sim-fault", "drop-mid", "x-sim-fault-after", "2")
        .compose(s -> s.ended.future().transform(ar -> {
          assertTrue(ar.failed(), "the body must not end cleanly");
          assertFalse(s.text().contains("[DONE]"));
          assertEquals(3, s.events.get(), s.text());
          return Future.succeededFuture();
        }))
        .compose(v -> http.await(() -> sim.stats().activeStreams() == 0, 500, "stream teardown"))
        .map(v -> {
          assertEquals(0, sim.stats().aborted(), "the sim closed it, the client did not");
          assertEquals(0, sim.stats().completed());
          return v;
        }));
  }

  @Test
  void noDone(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("sglang"), (sim, http) -> http
        .post("/v1/chat/completions", chat("hi", 4, true, null), "x-sim-fault", "no-done")
        .map(r -> {
          List<String> data = r.data();
          assertNotEquals("[DONE]", data.get(data.size() - 1));
          assertFalse(r.body().contains("[DONE]"));
          List<JsonObject> ev = r.events();
          assertEquals("length", ev.get(ev.size() - 1).getJsonArray("choices").getJsonObject(0)
              .getString("finish_reason"));
          assertEquals(1, sim.stats().completed());
          return r;
        }));
  }

  @Test
  void errorMidFollowsEngineDoneRule(Vertx vertx, VertxTestContext ctx) {
    SimTesting.run(vertx, ctx, fast("llamacpp"), (sim, http) -> http
        .post("/v1/chat/completions", chat("hi", 10, true, null), "x-sim-fault", "error-mid",
            "x-sim-fault-after", "1")
        .map(r -> {
          List<String> data = r.data();
          assertEquals(3, data.size(), r.body()); // role, 1 token, error
          assertTrue(new JsonObject(data.get(2)).containsKey("error"));
          return r;
        })
        .compose(x -> SimServer.start(vertx, fast("vllm")))
        .compose(v -> new SimTesting.Http(vertx, http.client(), v.port())
            .post("/v1/chat/completions", chat("hi", 10, true, null), "x-sim-fault", "error-mid")
            .map(r -> {
              List<String> data = r.data();
              assertEquals("[DONE]", data.get(data.size() - 1), "vLLM sends [DONE] even after an error");
              assertTrue(new JsonObject(data.get(data.size() - 2)).containsKey("error"));
              return r;
            })
            .eventually(v::close)));
  }

  @Test
  void abortDetectedQuickly(Vertx vertx, VertxTestContext ctx) {
    AtomicLong resetAt = new AtomicLong();
    SimTesting.run(vertx, ctx, fast("vllm").withDecodeTps(200), (sim, http) -> LiveStream
        .open(http, chat("hi", 1000, true, null))
        .compose(s -> http.await(() -> s.events.get() >= 4, 2000, "first tokens").map(s))
        .compose(s -> {
          assertEquals(1, sim.stats().activeStreams());
          resetAt.set(System.nanoTime());
          return s.request.reset();
        })
        .compose(v -> http.await(() -> sim.stats().aborted() == 1, 500, "abort within 500 ms"))
        .compose(v -> http.await(() -> sim.stats().activeStreams() == 0, 500, "active streams back to 0"))
        .map(v -> {
          long ms = (sim.stats().lastAbortNanos() - resetAt.get()) / 1_000_000;
          assertTrue(ms >= 0 && ms < 500, "abort seen after " + ms + " ms");
          assertEquals(0, sim.stats().completed());
          return v;
        }));
  }

  @Test
  void nonStreamAbort(Vertx vertx, VertxTestContext ctx) {
    AtomicReference<HttpClientRequest> req = new AtomicReference<>();
    SimTesting.run(vertx, ctx, fast("ikllama").withDecodeTps(100), (sim, http) -> http.client()
        .request(HttpMethod.POST, http.port(), "127.0.0.1", "/v1/chat/completions")
        .compose(r -> {
          req.set(r);
          r.send(chat("hi", 1000, false, null));
          return http.await(() -> sim.stats().activeStreams() == 1, 1000, "request in flight");
        })
        .compose(v -> req.get().reset())
        .compose(v -> http.await(() -> sim.stats().aborted() == 1 && sim.stats().activeStreams() == 0, 500,
            "abort of a non-stream request")));
  }

  @Test
  void slowReaderPausesGeneration(Vertx vertx, VertxTestContext ctx) throws Exception {
    // unthrottled, this rate would queue tens of thousands of tokens (megabytes) per second in the sim;
    // with backpressure it must notice the full write queue and wait for the drain
    SimOptions o = fast("vllm").withDecodeTps(1_000_000).withDenseBatching(false);
    String body = chat("go", 200_000, true, null);
    String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n";
    Socket socket = new Socket();
    socket.setReceiveBufferSize(16 * 1024); // fixed and small: no kernel autotuning behind the test's back
    SimTesting.run(vertx, ctx, o, (sim, http) -> vertx.executeBlocking(() -> {
          // a plain socket that sends the request and then never reads
          socket.connect(new InetSocketAddress("127.0.0.1", http.port()));
          socket.getOutputStream().write((head + body).getBytes(StandardCharsets.UTF_8));
          socket.getOutputStream().flush();
          return null;
        })
        .compose(v -> http.await(() -> sim.stats().pausedStreams() == 1, 5000, "the sim to hold the stream back"))
        .map(v -> {
          assertEquals(1, sim.stats().activeStreams());
          return v;
        })
        .eventually(() -> vertx.executeBlocking(() -> {
          socket.close();
          return null;
        }))
        .compose(v -> http.await(() -> sim.stats().activeStreams() == 0 && sim.stats().aborted() == 1, 1000,
            "teardown"))
        .map(v -> {
          assertEquals(0, sim.stats().pausedStreams());
          return v;
        }));
  }

  @Test
  void closeWithStreamsInFlight(Vertx vertx, VertxTestContext ctx) {
    SimServer.start(vertx, fast("llamacpp").withDecodeTps(50)).compose(sim -> {
      SimTesting.Http http = new SimTesting.Http(vertx, vertx.createHttpClient(), sim.port());
      // the stalled request never gets a status line, so nobody waits for its response
      http.client().request(HttpMethod.POST, http.port(), "127.0.0.1", "/v1/chat/completions")
          .onSuccess(r -> r.putHeader("x-sim-fault", "stall-first").send(chat("hi", 10, true, null)));
      return LiveStream.open(http, chat("hi", 1000, true, null))
          .compose(s -> http.await(() -> sim.stats().activeStreams() == 2, 1000, "two streams in flight"))
          .compose(v -> {
            long t0 = System.nanoTime();
            return sim.close().map(x -> (System.nanoTime() - t0) / 1e6);
          })
          .map(ms -> {
            assertTrue(ms < 1000, "close took " + ms + " ms");
            assertEquals(0, sim.stats().activeStreams());
            assertEquals(0, sim.stats().aborted(), "a shutdown is not a client abort");
            return ms;
          })
          .eventually(() -> http.client().close());
    }).onComplete(ctx.succeedingThenComplete());
  }
}
