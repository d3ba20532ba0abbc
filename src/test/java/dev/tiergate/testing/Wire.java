package dev.tiergate.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What the fault and conformance suites need to look at the wire: SSE bodies taken apart, a stream
 * read as it arrives (with arrival times), polling with deadlines, and request outcomes from the
 * metrics registry.
 */
public final class Wire {
  private Wire() {}

  /** The {@code data:} payloads of an SSE body, in order; {@code [DONE]} included as-is. */
  public static List<String> data(String sse) {
    List<String> out = new ArrayList<>();
    for (String block : sse.replace("\r\n", "\n").split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      assertTrue(block.startsWith("data: "), "every event is one data line: " + block);
      out.add(block.substring(6));
    }
    return out;
  }

  /** One event of a named stream (Responses, Messages): its {@code event:} name and its JSON data. */
  public record Named(String event, JsonObject data) {}

  /** The events of a named SSE body, in order; every event has exactly one name and one data line. */
  public static List<Named> named(String sse) {
    List<Named> out = new ArrayList<>();
    for (String block : sse.replace("\r\n", "\n").split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      String[] lines = block.split("\n");
      assertTrue(lines.length == 2 && lines[0].startsWith("event: ") && lines[1].startsWith("data: "),
          "every event is one event line and one data line: " + block);
      JsonObject data = new JsonObject(lines[1].substring(6));
      String name = lines[0].substring(7);
      assertTrue(name.equals(data.getString("type")), "the event's name is its type: " + block);
      out.add(new Named(name, data));
    }
    return out;
  }

  /** The names of a named stream's events, in order. */
  public static List<String> names(String sse) {
    return named(sse).stream().map(Named::event).toList();
  }

  /** The JSON events of an SSE body, without {@code [DONE]}. */
  public static List<JsonObject> events(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (String d : data(sse)) {
      if (!d.equals("[DONE]")) {
        out.add(new JsonObject(d));
      }
    }
    return out;
  }

  public static boolean endsWithDone(String sse) {
    List<String> d = data(sse);
    return !d.isEmpty() && d.get(d.size() - 1).equals("[DONE]");
  }

  public static boolean hasDone(String sse) {
    return data(sse).contains("[DONE]");
  }

  /** The error objects of every error event. */
  public static List<JsonObject> errors(String sse) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject e : events(sse)) {
      if (e.getValue("error") instanceof JsonObject err) {
        out.add(err);
      }
    }
    return out;
  }

  /** The first choice's delta of a chat chunk, or null. */
  public static JsonObject delta(JsonObject event) {
    JsonArray choices = event.getJsonArray("choices");
    return choices == null || choices.isEmpty() ? null : choices.getJsonObject(0).getJsonObject("delta");
  }

  /** Concatenated non-null string values of one delta key over the whole stream. */
  public static String joined(String sse, String key) {
    StringBuilder sb = new StringBuilder();
    for (JsonObject e : events(sse)) {
      JsonObject d = delta(e);
      if (d != null && d.getValue(key) instanceof String s) {
        sb.append(s);
      }
    }
    return sb.toString();
  }

  /** The last non-null finish_reason of a chat or completions stream. */
  public static String finishReason(String sse) {
    String f = null;
    for (JsonObject e : events(sse)) {
      JsonArray choices = e.getJsonArray("choices");
      if (choices != null && !choices.isEmpty() && choices.getJsonObject(0).getString("finish_reason") != null) {
        f = choices.getJsonObject(0).getString("finish_reason");
      }
    }
    return f;
  }

  /**
   * Runs each tier's success and failure paths once before the tests, so first-use class loading
   * (Jackson, lambdas) happens outside the tests, whose event loops must never block for 300 ms.
   */
  public static void warmUp(TestGateway gw, String... tiers) {
    String chat = "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    for (String tier : tiers) {
      for (String stream : new String[] {",\"stream\":true}", "}"}) {
        for (String fault : new String[] {"error-500", "error-mid"}) {
          gw.post("/v1/chat/completions", chat + stream, "x-tiergate-tier", tier, "x-tiergate-strict", "true",
              "x-sim-fault", fault, "x-sim-fault-after", "1");
          // A success right after each failure resets the backend's consecutive-failure count.
          gw.post("/v1/chat/completions", chat + stream, "x-tiergate-tier", tier, "x-tiergate-strict", "true");
        }
      }
    }
    gw.get("/tiergate/status");
  }

  /** Polls until the condition holds or the deadline passes; fails with {@code what} then. */
  public static void await(String what, long timeoutMs, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeoutMs + " ms waiting until " + what);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what);
      }
    }
  }

  /** Every backend's in-flight count is back to zero (polled: the last teardown may still be running). */
  public static void awaitNothingInFlight(TestGateway gw) {
    await("no backend has requests in flight " + inflight(gw), 5_000,
        () -> gw.gateway().services().fleet().all().stream().allMatch(b -> b.inflight() == 0));
  }

  private static Map<String, Integer> inflight(TestGateway gw) {
    Map<String, Integer> m = new TreeMap<>();
    gw.gateway().services().fleet().all().forEach(b -> m.put(b.config().name(), b.inflight()));
    return m;
  }

  /** {@code tiergate_requests_total} summed over everything but the outcome. */
  public static Map<String, Long> outcomes(TestGateway gw) {
    MeterRegistry r = gw.gateway().services().metrics().registry();
    Map<String, Long> m = new TreeMap<>();
    for (Counter c : r.find("tiergate_requests").counters()) {
      m.merge(c.getId().getTag("outcome"), (long) c.count(), Long::sum);
    }
    return m;
  }

  /** The same, for one backend. */
  public static long outcome(TestGateway gw, String backend, String outcome) {
    MeterRegistry r = gw.gateway().services().metrics().registry();
    long n = 0;
    for (Counter c : r.find("tiergate_requests").tag("backend", backend).tag("outcome", outcome).counters()) {
      n += (long) c.count();
    }
    return n;
  }

  /** Counts outcomes from a starting snapshot; {@link #expect} polls because a cancelled request is recorded asynchronously. */
  public static final class Outcomes {
    private final TestGateway gw;
    private final Map<String, Long> before;

    private Outcomes(TestGateway gw) {
      this.gw = gw;
      this.before = outcomes(gw);
    }

    public static Outcomes snapshot(TestGateway gw) {
      return new Outcomes(gw);
    }

    public long delta(String outcome) {
      return outcomes(gw).getOrDefault(outcome, 0L) - before.getOrDefault(outcome, 0L);
    }

    /** Exactly {@code n} requests ended with {@code outcome} since the snapshot, and nothing else changed. */
    public void expect(String outcome, long n) {
      await("outcome " + outcome + " counted " + n + " time(s); deltas now " + deltas(), 5_000,
          () -> delta(outcome) == n && total() == n);
    }

    private long total() {
      long t = 0;
      for (Map.Entry<String, Long> e : outcomes(gw).entrySet()) {
        t += e.getValue() - before.getOrDefault(e.getKey(), 0L);
      }
      return t;
    }

    private Map<String, Long> deltas() {
      Map<String, Long> d = new TreeMap<>();
      outcomes(gw).forEach((k, v) -> {
        long x = v - before.getOrDefault(k, 0L);
        if (x != 0) {
          d.put(k, x);
        }
      });
      return d;
    }
  }

  /** A streamed response read as it arrives: each chunk with its arrival time, and the end or failure. */
  public static final class Reader {
    public final HttpClientResponse response;
    private final List<Long> times = new ArrayList<>();
    private final List<String> chunks = new ArrayList<>();
    private final Promise<Void> end = Promise.promise();

    private Reader(HttpClientResponse response) {
      this.response = response;
      response.handler(this::chunk);
      response.endHandler(v -> end.tryComplete());
      response.exceptionHandler(end::tryFail);
    }

    /**
     * Waits for the response head and attaches the reader in the same event-loop turn: attached any
     * later, from the test thread, the first chunks could arrive before there is a handler.
     */
    public static Reader open(TestGateway gw, String path, String json, String... headerPairs) {
      io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.POST).setHost("127.0.0.1").setPort(gw.port()).setURI(path)
          .putHeader("content-type", "application/json");
      for (int i = 0; i + 1 < headerPairs.length; i += 2) {
        o.putHeader(headerPairs[i], headerPairs[i + 1]);
      }
      return TestGateway.await(gw.onLoop(() -> gw.client().request(o).compose(req -> req.send(json)).map(Reader::new)));
    }

    /** The same for a GET (an event stream). */
    public static Reader get(TestGateway gw, String path, String... headerPairs) {
      io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.GET).setHost("127.0.0.1").setPort(gw.port()).setURI(path);
      for (int i = 0; i + 1 < headerPairs.length; i += 2) {
        o.putHeader(headerPairs[i], headerPairs[i + 1]);
      }
      return TestGateway.await(gw.onLoop(() -> gw.client().request(o).compose(req -> req.send()).map(Reader::new)));
    }

    private synchronized void chunk(Buffer b) {
      times.add(System.nanoTime());
      chunks.add(b.toString());
    }

    public synchronized String body() {
      return String.join("", chunks);
    }

    /** When the first chunk containing {@code needle} arrived, or -1. */
    public synchronized long arrivalOf(String needle) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < chunks.size(); i++) {
        sb.append(chunks.get(i));
        if (sb.indexOf(needle) >= 0) {
          return times.get(i);
        }
      }
      return -1;
    }

    /** Blocks (on the test thread) until the body contains {@code needle}. */
    public void awaitText(String needle, long timeoutMs) {
      await("the stream contains " + needle + "; so far: " + body(), timeoutMs, () -> body().contains(needle));
    }

    /** Blocks until the response ended; fails when the connection broke instead. */
    public String awaitEnd() {
      TestGateway.await(end.future());
      return body();
    }

    public boolean ended() {
      return end.future().isComplete();
    }

    /** Closes the TCP connection from the client's side; returns when the close was issued. */
    public long closeConnection() {
      long t = System.nanoTime();
      response.request().connection().close();
      return t;
    }
  }
}
