package dev.tiergate.upstream;

/** Whether one attempt may use a backend, and in which role. */
public enum Admission {
  /** The circuit is closed (or the attempt was routed just before it opened). */
  ADMITTED,
  /** The circuit is half-open and this attempt is its one trial: its outcome closes or reopens it. */
  TRIAL,
  /** The circuit is half-open and another attempt is already the trial. */
  REFUSED,
  /**
   * A config reload removed or replaced the backend: a request decided before the reload (say, one that waited in
   * an admission queue meanwhile) must not start there.
   */
  RETIRED;

  /** The attempt may not use the backend: try the next candidate. */
  public boolean refused() {
    return this == REFUSED || this == RETIRED;
  }
}
