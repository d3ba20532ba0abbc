package dev.tiergate.lifecycle;

/**
 * A wait that ended with the tier live.
 *
 * @param from the group's live tier when the request arrived (null when nothing was live)
 * @param to the tier now live
 * @param waitedNanos how long the request waited
 */
public record Swapped(String from, String to, long waitedNanos) {
  /** True when the request actually waited for a swap, rather than finding its tier live. */
  public boolean swapped() {
    return to != null && !to.equals(from);
  }
}
