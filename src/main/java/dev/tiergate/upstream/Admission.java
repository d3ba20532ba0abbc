package dev.tiergate.upstream;

/** Whether one attempt may use a backend, and in which role. */
public enum Admission {
  /** The circuit is closed (or the attempt was routed just before it opened). */
  ADMITTED,
  /** The circuit is half-open and this attempt is its one trial: its outcome closes or reopens it. */
  TRIAL,
  /** The circuit is half-open and another attempt is already the trial. */
  REFUSED
}
