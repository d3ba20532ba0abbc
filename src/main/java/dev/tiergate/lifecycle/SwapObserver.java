package dev.tiergate.lifecycle;

import java.util.Map;

/** What the metrics see of swaps; bound by the application (metrics may not import lifecycle). */
public interface SwapObserver {
  SwapObserver NONE = new SwapObserver() {
    @Override
    public void swapped(String group, String from, String to, String outcome, String mode, Map<String, Long> phaseNanos) {}

    @Override
    public void warmFallback(String tier, String reason) {}

    @Override
    public void waited(String tier, long nanos) {}

    @Override
    public void queueLength(String group, int length) {}

    @Override
    public void tierLive(String tier, boolean live) {}
  };

  /**
   * A swap ended; {@code to} is null for a stop; {@code mode} is warm (woken) or cold (started);
   * phases are drain, stop, boot, and sleep, wake, canary for warm swaps.
   */
  void swapped(String group, String from, String to, String outcome, String mode, Map<String, Long> phaseNanos);

  /** A warm swap fell back to a cold stop and start: sleep_failed, wake_failed, wake_timeout, canary_mismatch. */
  void warmFallback(String tier, String reason);

  /** A request waited for its tier to be live. */
  void waited(String tier, long nanos);

  void queueLength(String group, int length);

  void tierLive(String tier, boolean live);
}
