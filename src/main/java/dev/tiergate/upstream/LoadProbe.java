package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;

/**
 * Reads an engine's load from its own Prometheus endpoint, in each engine's names:
 * <ul>
 *   <li>vLLM (always on; vllm/v1/metrics/loggers.py): {@code vllm:num_requests_running},
 *       {@code vllm:num_requests_waiting}, progress from {@code vllm:prompt_tokens_total} +
 *       {@code vllm:generation_tokens_total};</li>
 *   <li>SGLang ({@code --enable-metrics}; srt/metrics/collector.py): {@code sglang:num_running_reqs},
 *       {@code sglang:num_queue_reqs}, progress from its prompt and generation token counters;</li>
 *   <li>llama.cpp and ik_llama.cpp ({@code --metrics}; captured, engine-transcripts 03a, 20d):
 *       {@code llamacpp:requests_processing}, {@code llamacpp:requests_deferred}, progress from
 *       {@code llamacpp:n_decode_total} (every llama_decode call, prefill chunks included).</li>
 * </ul>
 * Series of the same name are summed (vLLM labels one per engine core). The answer is bounded, and
 * an engine without the endpoint answers null: the gateway's own accounting still holds.
 */
public final class LoadProbe {
  /** A /metrics page is tens of kilobytes; more is not an engine's load report. */
  private static final int MAX_BYTES = 1 << 20;

  private final HttpClient client;
  private final long timeoutMs;

  public LoadProbe(HttpClient client, long timeoutMs) {
    this.client = client;
    this.timeoutMs = timeoutMs;
  }

  /** The engine's load now, or null when it has no metrics endpoint (or it could not be read). */
  public Future<EngineLoad> scrape(BackendConfig b) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(UpstreamCall.baseUrl(b.url()) + "/metrics")
        .setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs).setTimeout(timeoutMs);
    Credentials.apply(b, o);
    Future<Buffer> body;
    try {
      body = client.request(o).compose(req -> req.send().compose(resp -> {
        String len = resp.getHeader("content-length");
        if (resp.statusCode() != 200 || len != null && Long.parseLong(len) > MAX_BYTES) {
          resp.request().reset();
          return Future.failedFuture("no usable /metrics (" + resp.statusCode() + ")");
        }
        return resp.body();
      }));
    } catch (IllegalStateException closed) {
      return Future.succeededFuture(null);
    }
    return body.map(text -> text.length() > MAX_BYTES ? null : parse(b.engine(), text)).otherwise((EngineLoad) null);
  }

  static EngineLoad parse(Engine engine, Buffer text) {
    Names n = Names.of(engine);
    double running = -1;
    double waiting = -1;
    double progress = -1;
    String s = text.toString(StandardCharsets.UTF_8);
    int i = 0;
    int len = s.length();
    while (i < len) {
      int end = s.indexOf('\n', i);
      if (end < 0) {
        end = len;
      }
      if (s.charAt(i) != '#') {
        int nameEnd = i;
        while (nameEnd < end && s.charAt(nameEnd) != '{' && s.charAt(nameEnd) != ' ') {
          nameEnd++;
        }
        String name = s.substring(i, nameEnd);
        int space = s.lastIndexOf(' ', end - 1);
        double value = space > i ? number(s.substring(space + 1, end).trim()) : Double.NaN;
        if (Double.isFinite(value)) {
          if (name.equals(n.running)) {
            running = Math.max(0, running) + value;
          } else if (name.equals(n.waiting)) {
            waiting = Math.max(0, waiting) + value;
          } else if (n.progress(name)) {
            progress = Math.max(0, progress) + value;
          }
        }
      }
      i = end + 1;
    }
    if (running < 0 && waiting < 0 && progress < 0) {
      return null;
    }
    return new EngineLoad((int) running, (int) waiting, progress, System.nanoTime());
  }

  private static double number(String v) {
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** Each engine's metric names for the same three facts. */
  private record Names(String running, String waiting, String[] progressNames) {
    static Names of(Engine e) {
      return switch (e) {
        case VLLM -> new Names("vllm:num_requests_running", "vllm:num_requests_waiting",
            new String[] {"vllm:prompt_tokens_total", "vllm:generation_tokens_total"});
        case SGLANG -> new Names("sglang:num_running_reqs", "sglang:num_queue_reqs",
            new String[] {"sglang:prompt_tokens_total", "sglang:generation_tokens_total"});
        case LLAMACPP, IKLLAMA -> new Names("llamacpp:requests_processing", "llamacpp:requests_deferred",
            new String[] {"llamacpp:n_decode_total"});
      };
    }

    boolean progress(String name) {
      for (String p : progressNames) {
        if (p.equals(name)) {
          return true;
        }
      }
      return false;
    }
  }
}
