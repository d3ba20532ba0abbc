package dev.tiergate.metrics;

import dev.tiergate.config.Api;
import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.StreamListener;
import dev.tiergate.stream.StreamOutcome;
import io.vertx.core.buffer.Buffer;
import java.util.function.ObjLongConsumer;

/**
 * Everything measured about one request. Lives on the request's event loop, so its fields need no
 * synchronisation. Per relayed event it only compares flags, stores a timestamp and, between two
 * output events, records one inter-token sample: content chunks are never parsed. The usage and
 * timings events (once per stream) are read with a streaming parser; the rest is computed once,
 * when the request ends.
 */
public final class RequestRecorder implements StreamListener {
  private final GatewayMetrics metrics;
  private final String endpoint;
  /** Embeddings, rerank and the token counters generate nothing: no output count to approximate. */
  private final boolean generates;
  private long receivedNanos;
  private final TokenUsage usage = new TokenUsage();
  private String tier = GatewayMetrics.NONE;
  private String backend = GatewayMetrics.NONE;
  private BackendMeters meters;
  private boolean sent;
  private long sentNanos;
  private int outputEvents;
  private long firstOutputNanos;
  private long lastOutputNanos;
  private boolean answered;
  private long firstAnswerNanos;
  private boolean recorded;
  private String key;
  private UsageListener usageListener;
  private long aheadTokens;
  private int streamsAtStart;
  private double predictedTtftMs = Double.NaN;
  private boolean batch;
  private long promptEstimate = -1;
  private ObjLongConsumer<String> promptObserver;
  private java.util.function.ObjIntConsumer<Sample> finished;
  private int status;

  RequestRecorder(GatewayMetrics metrics, String endpoint, long receivedNanos) {
    this.metrics = metrics;
    this.endpoint = endpoint;
    Api api = Api.byId(endpoint);
    this.generates = api == null || api.generates();
    this.receivedNanos = receivedNanos;
  }

  /** The tier of the backend that answered, or {@code none}. */
  public String tier() {
    return tier;
  }

  /** The gateway key's configured name: the request also counts in its key's meters. */
  public void key(String name) {
    this.key = name;
  }

  /** Told what the request used once it is recorded (the rate limits' reconciliation). */
  public void onFinish(UsageListener listener) {
    this.usageListener = listener;
  }

  /** Told each request's sample and the HTTP status it was answered with, once, after the meters (the access log). */
  public void onRecorded(java.util.function.ObjIntConsumer<Sample> listener) {
    this.finished = listener;
  }

  /** What was already on the backend when the request was sent to it (for learning its rates). */
  public void conditions(long aheadTokens, int streamsAtStart) {
    this.aheadTokens = aheadTokens;
    this.streamsAtStart = streamsAtStart;
  }

  /** The TTFT the predictor expected for the backend that answered. */
  public void predicted(double ttftMs) {
    this.predictedTtftMs = ttftMs;
  }

  /** The client marked the request batch work. */
  public void batch(boolean b) {
    this.batch = b;
  }

  /** The whole request has arrived: TTFT and the other latencies count from here. */
  public void received(long nanos) {
    this.receivedNanos = nanos;
  }

  /**
   * The prompt tokens routing assumed; {@code onCounted} hears the engine's own count (with the
   * backend that counted) when an ok response reports it, so the estimate can learn.
   */
  public void estimated(long promptTokens, ObjLongConsumer<String> onCounted) {
    this.promptEstimate = promptTokens;
    this.promptObserver = onCounted;
  }

  /** The backend that answered, and when its request was written. */
  public void upstream(String tier, String backend, String engine, long sentNanos) {
    this.meters = metrics.meters(backend);
    if (meters != null) {
      // Labels come from configuration only: an unknown name (which routing cannot produce) stays "none".
      this.tier = tier;
      this.backend = backend;
    }
    this.sent = true;
    this.sentNanos = sentNanos;
  }

  /** Every attempt failed: the request counts against the last backend tried. */
  public void attempted(String tier, String backend) {
    BackendMeters m = metrics.meters(backend);
    if (m != null) {
      this.meters = m;
      this.tier = tier;
      this.backend = backend;
    }
  }

  @Override
  public void onEvent(SseEvent event, long nanos) {
    if (event.is(SseEvent.OUTPUT)) {
      output(event, nanos);
    }
    if (event.is(SseEvent.USAGE) || event.is(SseEvent.TIMINGS)) {
      UsageReader.read(event.data(), usage);
    }
  }

  private void output(SseEvent event, long nanos) {
    if (outputEvents == 0) {
      firstOutputNanos = nanos;
    } else if (meters != null) {
      BackendMeters.record(meters.interToken, nanos - lastOutputNanos);
    }
    outputEvents++;
    lastOutputNanos = nanos;
    if (!answered && event.is(SseEvent.ANSWER)) {
      answered = true;
      firstAnswerNanos = nanos;
    }
  }

  @Override
  public void onEnd(StreamOutcome outcome, long nanos) {
    status = 200;
    finish(Outcome.of(outcome), nanos);
  }

  /** A whole non-streamed response was relayed. */
  public void body(int status, Buffer body, long nanos) {
    this.status = status;
    Outcome outcome = Outcome.ofStatus(status);
    if (outcome == Outcome.OK && body != null) {
      UsageReader.read(body, usage);
    }
    finish(outcome, nanos);
  }

  /** The request ended with an error before any response was relayed. */
  public void failed(String outcome) {
    failed(outcome, 0);
  }

  /** The same, with the status the client was answered with (200 for a stream cut after it began). */
  public void failed(String outcome, int status) {
    this.status = status;
    finish(Outcome.of(outcome), System.nanoTime());
  }

  private void finish(Outcome outcome, long endNanos) {
    if (recorded) {
      return;
    }
    recorded = true;
    Sample s = sample(outcome, endNanos);
    metrics.record(s, meters);
    if (key != null) {
      metrics.keyRequest(key, outcome, s.promptTokens(), s.completionTokens());
    }
    if (usageListener != null) {
      usageListener.finished(s.promptTokens(), s.completionTokens(), sent);
    }
    if (promptObserver != null && meters != null && outcome == Outcome.OK && s.promptTokens() > 0) {
      promptObserver.accept(backend, s.promptTokens());
    }
    if (finished != null) {
      finished.accept(s, status);
    }
  }

  private Sample sample(Outcome outcome, long endNanos) {
    boolean out = outputEvents > 0;
    long ttft = out ? firstOutputNanos - receivedNanos : -1;
    long upstreamTtft = out && sent ? firstOutputNanos - sentNanos : -1;
    long completion = usage.completion();
    // Streams without usage still produced output we relayed: count it, and say it is a count of events.
    boolean approximate = generates && completion < 0 && (out || outcome == Outcome.OK);
    if (completion < 0 && approximate) {
      completion = outputEvents;
    }
    long prompt = usage.prompt();
    long cached = prompt >= 0 ? Math.min(usage.cached(), prompt) : usage.cached();
    return new Sample(endpoint, tier, backend, outcome, endNanos - receivedNanos,
        sent ? sentNanos - receivedNanos : -1, ttft, upstreamTtft, answered ? firstAnswerNanos - receivedNanos : -1,
        outputEvents, prompt, cached, completion, approximate,
        decodeTps(outcome, completion), prefillTps(prompt, cached, upstreamTtft),
        positive(usage.predictedN > 0 ? usage.predictedPerSecond : Double.NaN),
        positive(usage.promptN > 0 ? usage.promptPerSecond : Double.NaN), aheadTokens, streamsAtStart, predictedTtftMs, batch,
        promptEstimate);
  }

  /** Only a complete stream has a meaningful last-token time; a cut one would overstate the rate. */
  private double decodeTps(Outcome outcome, long completion) {
    if (outcome != Outcome.OK || outputEvents < 2 || completion <= 0) {
      return Double.NaN;
    }
    long span = lastOutputNanos - firstOutputNanos;
    return span > 0 ? completion * 1e9 / span : Double.NaN;
  }

  /**
   * Below this many uncached tokens the engine's fixed latency, not prefill, makes up the TTFT: a
   * fully cached prompt (one new token in 150 ms) would record "7 tokens/s" and drag the tier's
   * prefill histogram down.
   */
  static final long MIN_PREFILL_TOKENS = 256;

  private static double prefillTps(long prompt, long cached, long upstreamTtft) {
    long uncached = prompt - cached;
    if (prompt < 0 || uncached < MIN_PREFILL_TOKENS || upstreamTtft <= 0) {
      return Double.NaN;
    }
    return uncached * 1e9 / upstreamTtft;
  }

  private static double positive(double v) {
    return Double.isFinite(v) && v > 0 ? v : Double.NaN;
  }
}
