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
import java.util.Map;

/** One streamed chat completion, timed on the client: TTFT, first and last output event, usage. */
final class ChatCall {
  private static final byte[][] OUTPUT_KEYS = {
      bytes("\"content\":\""), bytes("\"reasoning_content\":\""), bytes("\"reasoning\":\""), bytes("\"text\":\""),
      bytes("\"tool_calls\":[{")};
  private static final byte[] USAGE = bytes("\"usage\":{");
  private static final byte[] ERROR = bytes("\"error\":");
  private static final byte[] CHOICES = bytes("\"choices\"");
  private static final int MAX_EVENT_BYTES = 1 << 20;

  /**
   * What one call saw. Times are System.nanoTime values; {@code error} is null on success.
   *
   * @param servedTier the gateway's x-tiergate-tier header, null when talking to an engine directly
   */
  record Result(int status, String error, String servedTier, long sentNanos, long firstOutputNanos,
      long lastOutputNanos, int outputEvents, int promptTokens, int completionTokens, boolean done) {
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
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(baseUrl + "/v1/chat/completions")
        .setIdleTimeout(timeoutMs).putHeader("content-type", "application/json").putHeader("accept", "text/event-stream");
    headers.forEach(o::putHeader);
    Promise<Result> p = Promise.promise();
    Buffer payload = Buffer.buffer(body);
    client.request(o).onFailure(p::tryFail).onSuccess(req -> {
      long sent = System.nanoTime();
      req.send(payload).onFailure(p::tryFail).onSuccess(resp -> read(resp, sent, p));
    });
    return p.future();
  }

  private static void read(HttpClientResponse resp, long sent, Promise<Result> p) {
    String tier = resp.getHeader("x-tiergate-tier");
    if (resp.statusCode() != 200) {
      resp.body().onFailure(p::tryFail).onSuccess(b -> p.tryComplete(new Result(resp.statusCode(),
          errorText(b.toString()), tier, sent, 0, 0, 0, 0, 0, false)));
      return;
    }
    State s = new State();
    SseSplitter splitter = new SseSplitter(MAX_EVENT_BYTES);
    resp.exceptionHandler(p::tryFail);
    resp.handler(chunk -> {
      if (!splitter.feed(chunk, data -> s.event(data, System.nanoTime()))) {
        s.error = "event larger than " + MAX_EVENT_BYTES + " bytes";
      }
    });
    resp.endHandler(v -> p.tryComplete(new Result(200, s.error != null ? s.error : s.done ? null : "stream ended without [DONE]",
        tier, sent, s.first, s.last, s.outputs, s.prompt, s.completion, s.done)));
  }

  private static final class State {
    long first;
    long last;
    int outputs;
    int prompt;
    int completion;
    boolean done;
    String error;

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
