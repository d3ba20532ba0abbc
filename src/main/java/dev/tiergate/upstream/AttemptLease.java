package dev.tiergate.upstream;

/** Reports one attempt's end to the tracker exactly once, whoever ends it first. */
final class AttemptLease {
  private final BackendTracker tracker;
  private final String backend;
  private boolean finished;

  AttemptLease(BackendTracker tracker, String backend) {
    this.tracker = tracker;
    this.backend = backend;
    tracker.started(backend);
  }

  void finish(AttemptResult result) {
    if (!finished) {
      finished = true;
      tracker.finished(backend, result);
    }
  }
}
