package dev.tiergate.upstream;

/** Told about every attempt so live state (in-flight, passive health) stays exact. */
public interface BackendTracker {
  BackendTracker NONE = new BackendTracker() {
    @Override
    public void started(String backend) {}

    @Override
    public void finished(String backend, AttemptResult result) {}
  };

  void started(String backend);

  /** Called exactly once per {@link #started}. */
  void finished(String backend, AttemptResult result);
}
