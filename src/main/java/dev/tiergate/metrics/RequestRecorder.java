package dev.tiergate.metrics;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.StreamListener;
import dev.tiergate.stream.StreamOutcome;
import io.vertx.core.buffer.Buffer;

/** Everything measured about one request, recorded once when it ends. */
public final class RequestRecorder implements StreamListener {
  private final GatewayMetrics metrics;
  private final String endpoint;
  private final long receivedNanos;
  private String tier = "none";
  private String backend = "none";
  private boolean recorded;

  RequestRecorder(GatewayMetrics metrics, String endpoint, long receivedNanos) {
    this.metrics = metrics;
    this.endpoint = endpoint;
    this.receivedNanos = receivedNanos;
  }

  /** The backend that answered, and when its request was written. */
  public void upstream(String tier, String backend, String engine, long sentNanos) {
    this.tier = tier;
    this.backend = backend;
  }

  @Override
  public void onEvent(SseEvent event, long nanos) {}

  @Override
  public void onEnd(StreamOutcome outcome, long nanos) {
    record(outcome.name().toLowerCase());
  }

  /** A whole non-streamed response was relayed. */
  public void body(int status, Buffer body, long nanos) {
    record(status / 100 == 2 ? "ok" : "upstream_error");
  }

  /** The request ended with an error before any response was relayed. */
  public void failed(String outcome) {
    record(outcome);
  }

  private void record(String outcome) {
    if (recorded) {
      return;
    }
    recorded = true;
    metrics.count(tier, backend, endpoint, outcome);
  }
}
