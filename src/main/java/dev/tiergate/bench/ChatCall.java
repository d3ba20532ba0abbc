package dev.tiergate.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** One streamed chat completion, timed on the client: TTFT, first and last output event, usage. */
final class ChatCall {
  private static final byte[][] OUTPUT_KEYS = {
      bytes("\"content\":\""), bytes("\"reasoning_content\":\""), bytes("\"reasoning\":\""), bytes("\"text\":\""),
      bytes("\"tool_calls\":[{")};
  private static final byte[] USAGE = bytes("\"usage\":{");
  private static final byte[] ERROR = bytes("\"error\":");
  private static final byte[] CHOICES = bytes("\"choices\"");
  private static final int MAX_EVENT_BYTES = 1 << 20;

  /** Output event times kept per call at most; a longer stream keeps its first ones. */
  private static final int MAX_TIMES = 1 << 16;

  /**
   * What one call saw. Times are System.nanoTime values; {@code error} is null on success. A status other than 0
   * means the server answered; a stream that broke after its 200 keeps the 200 and says why in {@code error}.
   *
   * @param servedTier the gateway's x-tiergate-tier header, null when talking to an engine directly
   * @param gatewayHeaders the response's {@code x-tiergate-*} and {@code retry-after} headers, names in lower case
   * @param outputTimes the time of each output event when the caller asked for them, else empty
   */
  record Result(int status, String error, String servedTier, long sentNanos, long firstOutputNanos,
      long lastOutputNanos, int outputEvents, int promptTokens, int completionTokens, boolean done,
      Map<String, String> gatewayHeaders, long[] outputTimes) {
    /** A response header as a number, or NaN when it is absent or not a number. */
    double headerNumber(String name) {
      String v = gatewayHeaders.get(name);
      try {
        return v == null ? Double.NaN : Double.parseDouble(v.trim());
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }

    double ttftMs() {
      return firstOutputNanos > 0 ? (firstOutputNanos - sentNanos) / 1e6 : Double.NaN;
    }

    /** Completion tokens after the first, over the time between the first and the last output event. */
    double decodeTps() {
      int tokens = completionTokens > 0 ? completionTokens : outputEvents;
      double secs = (lastOutputNanos - firstOutputNanos) / 1e9;
      return tokens > 1 && secs > 0 ? (tokens - 1) / secs : Double.NaN;
    }

    /** Uncached prompt tokens over TTFT (the client's TTFT: it includes the gateway and loopback). */
    double prefillTps(int fallbackTokens) {
      int p = promptTokens > 0 ? promptTokens : fallbackTokens;
      double ttft = ttftMs();
      return ttft > 0 ? p / (ttft / 1000.0) : Double.NaN;
    }
  }

  private ChatCall() {}

  static Future<Result> run(HttpClient client, String baseUrl, String body, Map<String, String> headers,
      long timeoutMs) {
    return run(client, baseUrl, body, headers, timeoutMs, false);
  }

  /** As {@link #run(HttpClient, String, String, Map, long)}, keeping each output event's time when asked. */
  static Future<Result> run(HttpClient client, String baseUrl, String body, Map<String, String> headers,
      long timeoutMs, boolean keepTimes) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(baseUrl + "/v1/chat/completions")
        .setIdleTimeout(timeoutMs).putHeader("content-type", "application/json").putHeader("accept", "text/event-stream");
    headers.forEach(o::putHeader);
    Promise<Result> p = Promise.promise();
    Buffer payload = Buffer.buffer(body);
    client.request(o).onFailure(p::tryFail).onSuccess(req -> {
      long sent = System.nanoTime();
      req.send(payload).onFailure(p::tryFail).onSuccess(resp -> read(resp, sent, keepTimes, p));
    });
    return p.future();
  }

  private static void read(HttpClientResponse resp, long sent, boolean keepTimes, Promise<Result> p) {
    String tier = resp.getHeader("x-tiergate-tier");
    Map<String, String> gateway = gatewayHeaders(resp);
    if (resp.statusCode() != 200) {
      resp.body().onComplete(b -> p.tryComplete(new Result(resp.statusCode(),
          b.succeeded() ? errorText(b.result().toString()) : "body unreadable: " + b.cause().getMessage(), tier, sent, 0, 0,
          0, 0, 0, false, gateway, new long[0])));
      return;
    }
    State s = new State(keepTimes);
    SseSplitter splitter = new SseSplitter(MAX_EVENT_BYTES);
    // the status came: a broken stream is this call's error, not a call that never got an answer
    resp.exceptionHandler(e -> p.tryComplete(s.result(tier, sent, gateway, "stream broke: " + e.getMessage())));
    resp.handler(chunk -> {
      if (!splitter.feed(chunk, data -> s.event(data, System.nanoTime()))) {
        s.error = "event larger than " + MAX_EVENT_BYTES + " bytes";
      }
    });
    resp.endHandler(v -> p.tryComplete(s.result(tier, sent, gateway, s.error != null ? s.error
        : s.done ? null : "stream ended without [DONE]")));
  }

  private static Map<String, String> gatewayHeaders(HttpClientResponse resp) {
    Map<String, String> out = new TreeMap<>();
    resp.headers().forEach(h -> {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith("x-tiergate-") || name.equals("retry-after")) {
        out.put(name, h.getValue());
      }
    });
    return Map.copyOf(out);
  }

  private static final class State {
    final boolean keepTimes;
    long[] times = new long[0];
    long first;
    long last;
    int outputs;
    int prompt;
    int completion;
    boolean done;
    String error;

    State(boolean keepTimes) {
      this.keepTimes = keepTimes;
      if (keepTimes) {
        times = new long[64];
      }
    }

    Result result(String tier, long sent, Map<String, String> gateway, String err) {
      long[] kept = keepTimes ? Arrays.copyOf(times, Math.min(outputs, times.length)) : new long[0];
      return new Result(200, err, tier, sent, first, last, outputs, prompt, completion, done, gateway, kept);
    }

    void event(Buffer data, long now) {
      if (SseSplitter.isDone(data)) {
        done = true;
        return;
      }
      if (SseSplitter.indexOf(data, ERROR) >= 0 && SseSplitter.indexOf(data, CHOICES) < 0) {
        error = errorText(data.toString());
        return;
      }
      if (isOutput(data)) {
        if (first == 0) {
          first = now;
        }
        last = now;
        if (keepTimes && outputs < MAX_TIMES) {
          if (outputs == times.length) {
            times = Arrays.copyOf(times, Math.min(MAX_TIMES, times.length * 2));
          }
          times[outputs] = now;
        }
        outputs++;
      }
      if (SseSplitter.indexOf(data, USAGE) >= 0) {
        JsonObject u = new JsonObject(data.toString()).getJsonObject("usage");
        prompt = u.getInteger("prompt_tokens", 0);
        completion = u.getInteger("completion_tokens", 0);
      }
    }
  }

  /** A non-empty content, reasoning, text or tool-call delta; a role-only chunk is not a token. */
  static boolean isOutput(Buffer data) {
    for (byte[] k : OUTPUT_KEYS) {
      int i = SseSplitter.indexOf(data, k);
      if (i >= 0 && (k[k.length - 1] != '"' || (i + k.length < data.length() && data.getByte(i + k.length) != '"'))) {
        return true;
      }
    }
    return false;
  }

  /** The message of an OpenAI-style error body, else the body itself (shortened). */
  static String errorText(String body) {
    try {
      JsonObject o = new JsonObject(body);
      Object e = o.getValue("error");
      if (e instanceof JsonObject eo && eo.getString("message") != null) {
        return eo.getString("message");
      }
      if (e instanceof String s) {
        return s;
      }
      if (o.getString("detail") != null) {
        return o.getString("detail");
      }
    } catch (RuntimeException ignored) {
      // not JSON: fall through to the raw text
    }
    return body.length() > 300 ? body.substring(0, 300) + "…" : body;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
