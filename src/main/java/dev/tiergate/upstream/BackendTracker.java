package dev.tiergate.upstream;

/** Told about every attempt so live state (in-flight, passive health, stalls) stays exact. */
public interface BackendTracker {
  BackendTracker NONE = new BackendTracker() {
    @Override
    public Admission start(String backend, LiveAttempt attempt) {
      return Admission.ADMITTED;
    }

    @Override
    public void proven(String backend, LiveAttempt attempt, Admission admission) {}

    @Override
    public void finished(String backend, LiveAttempt attempt, Admission admission, AttemptResult result) {}
  };

  /**
   * Admits an attempt (counting it in flight and watching it for stalls) unless the backend is
   * half-open with its trial taken.
   */
  Admission start(String backend, LiveAttempt attempt);

  /**
   * The attempt produced output (or a whole response): the backend works, and the attempt now
   * decodes rather than waits. A half-open circuit need not wait for the end of a stream that may
   * run for minutes.
   */
  void proven(String backend, LiveAttempt attempt, Admission admission);

  /** Called exactly once per admitted {@link #start}, never for a refused one. */
  void finished(String backend, LiveAttempt attempt, Admission admission, AttemptResult result);

  /** The engine said a prompt does not fit that its known window should have held: ask it again. */
  default void windowContradicted(String backend) {}
}
