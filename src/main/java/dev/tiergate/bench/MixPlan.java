package dev.tiergate.bench;

import java.util.List;

/**
 * What {@code bench mix} runs: the workload (seed, duration, rate, shape), the configurations it is replayed against,
 * how long to wait for stragglers after the last arrival, and the calls' limits.
 *
 * @param rate requests per second, all classes together
 * @param drainS after the last arrival, how long the run waits for answers; a request with no status by then is lost
 * @param probeTokens the output of the per-tier calls that measure each tier's unloaded decode rate first
 */
public record MixPlan(long seed, int durationS, double rate, MixShape shape, List<String> configs, int drainS,
    int probeTokens, long callTimeoutMs) {
  public static final List<String> CONFIGS = List.of("rr", "rule", "predicted");
  /** Every configuration shipped in {@code config/mix/}: the default three and those run only when asked for. */
  public static final List<String> KNOWN = List.of("rr", "rule", "predicted", "predicted-completion");

  public MixPlan {
    configs = List.copyOf(configs);
    if (durationS <= 0 || !(rate > 0) || drainS < 0 || probeTokens < 2 || callTimeoutMs <= 0 || configs.isEmpty()) {
      throw new IllegalArgumentException("duration, rate, probe tokens, call timeout and configs must be positive");
    }
  }

  /** Several minutes per configuration: the classes at their full sizes. */
  public static MixPlan full() {
    return new MixPlan(11, 300, 0.5, MixShape.full(), CONFIGS, 600, 128, 900_000);
  }

  /** Under two minutes for all three configurations on two cores. */
  public static MixPlan quick() {
    return new MixPlan(11, 10, 1.5, MixShape.quick(), CONFIGS, 45, 48, 120_000);
  }

  public MixPlan with(long newSeed, int newDurationS, double newRate, List<String> newConfigs) {
    return new MixPlan(newSeed, newDurationS, newRate, shape, newConfigs, drainS, probeTokens, callTimeoutMs);
  }

  public MixPlan withShape(MixShape s, int newDrainS, int newProbeTokens) {
    return new MixPlan(seed, durationS, rate, s, configs, newDrainS, newProbeTokens, callTimeoutMs);
  }

  List<MixRequest> workload() {
    return MixWorkload.generate(shape, seed, durationS, rate);
  }
}
