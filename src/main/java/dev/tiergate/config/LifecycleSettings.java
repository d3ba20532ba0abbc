package dev.tiergate.config;

/**
 * Gateway-wide lifecycle settings. {@code adminEndpoints} turns on the operations that drive the
 * GPUs ({@code POST /tiergate/tiers/{name}/activate}, {@code POST /tiergate/groups/{name}/stop});
 * they are off by default because, without gateway keys, anyone who can reach the port could use them.
 */
public record LifecycleSettings(Boolean adminEndpoints) {
  public LifecycleSettings {
    adminEndpoints = adminEndpoints != null && adminEndpoints;
  }

  public static LifecycleSettings defaults() {
    return new LifecycleSettings(null);
  }
}
