package dev.tiergate.lifecycle;

/**
 * Ends what is still running on a tier when its drain time is over. The streams belong to the API
 * layer, which the lifecycle may not import; the application binds this.
 */
public interface Drainer {
  Drainer NONE = (tier, why) -> { };

  /** Cuts every open stream on the tier's backends with an error event saying why. */
  void cut(String tier, String why);
}
