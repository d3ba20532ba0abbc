package dev.tiergate.stream;

/** Observes a relayed stream without touching it; metrics implement this. */
public interface StreamListener {
  StreamListener NONE = new StreamListener() {
    @Override
    public void onEvent(SseEvent event, long nanos) {}

    @Override
    public void onEnd(StreamOutcome outcome, long nanos) {}
  };

  /** Called for every upstream event at the moment it is relayed (or dropped) to the client. */
  void onEvent(SseEvent event, long nanos);

  /** Called exactly once when the relay ends. */
  void onEnd(StreamOutcome outcome, long nanos);
}
