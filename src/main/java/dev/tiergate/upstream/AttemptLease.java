package dev.tiergate.upstream;

/** Reports one attempt's end to the tracker exactly once, whoever ends it first. */
final class AttemptLease {
  private final BackendTracker tracker;
  private final String backend;
  private final LiveAttempt attempt;
  private Admission admission;
  private boolean proven;
  private boolean finished;

  AttemptLease(BackendTracker tracker, String backend, LiveAttempt attempt) {
    this.tracker = tracker;
    this.backend = backend;
    this.attempt = attempt;
    this.admission = tracker.start(backend, attempt);
    this.finished = admission.refused();
  }

  boolean refused() {
    return admission.refused();
  }

  Admission admission() {
    return admission;
  }

  void proven() {
    if (!finished && !proven) {
      proven = true;
      tracker.proven(backend, attempt, admission);
      // The trial is over once it proved the backend; its end must not release a later trial.
      admission = Admission.ADMITTED;
    }
  }

  void finish(AttemptResult result) {
    if (!finished) {
      finished = true;
      tracker.finished(backend, attempt, admission, result);
    }
  }
}
