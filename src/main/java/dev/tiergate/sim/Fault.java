package dev.tiergate.sim;

import java.util.Locale;

/** Failure modes a request can ask for (header {@code x-sim-fault}) or a server can apply to every request. */
enum Fault {
  NONE("none", false),
  ERROR_500("error-500", false),
  ERROR_503("error-503", false),
  STALL_FIRST("stall-first", false),
  STALL_MID("stall-mid", true),
  DROP_MID("drop-mid", true),
  NO_DONE("no-done", false),
  ERROR_MID("error-mid", true);

  final String wireName;
  /** Mid faults fire after a number of generated events rather than before the response starts. */
  final boolean mid;

  Fault(String wireName, boolean mid) {
    this.wireName = wireName;
    this.mid = mid;
  }

  static Fault parse(String name) {
    if (name == null || name.isBlank()) {
      return NONE;
    }
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Fault f : values()) {
      if (f.wireName.equals(n)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown fault '" + name
        + "' (expected error-500, error-503, stall-first, stall-mid, drop-mid, no-done, error-mid)");
  }
}
