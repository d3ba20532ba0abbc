package dev.tiergate.metrics;

/**
 * Live per-backend state the gauges read at scrape time. The fleet owns that state, and metrics
 * may not import fleet, so the application binds this small view.
 */
public interface BackendGauges {
  BackendGauges NONE = new BackendGauges() {
    @Override
    public int inflight(String backend) {
      return 0;
    }

    @Override
    public boolean up(String backend) {
      return false;
    }
  };

  /** Requests currently open against the backend. */
  int inflight(String backend);

  /** Whether the gateway would route to the backend now (probe not down or loading, circuit closed). */
  boolean up(String backend);
}
