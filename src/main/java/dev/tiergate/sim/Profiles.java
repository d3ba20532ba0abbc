package dev.tiergate.sim;

/**
 * The demo's calibrations, from the seed's A/B sitting: prefill tok/s at 10K → 90K prompt tokens
 * (W8A8 2062 → 1021, FP8 1364 → 875, INT4 1446 → 1118), short-prompt TTFT 122 ms (W8A8) vs 158 ms
 * (FP8), decode ≈ 72–90 tok/s for INT4 and ≈ 69 for FP8. The half-rate points fit
 * rate(n) = p0 / (1 + n/h). Shared by the in-process demo and {@code sim --profile}, so the small-rig
 * demo's engine processes behave like the big demo's.
 */
public final class Profiles {
  private Profiles() {}

  /** The tier's calibration over {@code base}; an unknown tier keeps the fast tier's numbers. */
  public static SimOptions apply(String tier, SimOptions base) {
    return switch (tier) {
      case "prefill" -> base.withPrefillTps(2363).withPrefillHalfRateTokens(68462).withTtftBaseMs(122).withDecodeTps(62);
      case "max" -> base.withPrefillTps(1466).withPrefillHalfRateTokens(133139).withTtftBaseMs(158).withDecodeTps(69);
      default -> base.withPrefillTps(1501).withPrefillHalfRateTokens(262665).withTtftBaseMs(150).withDecodeTps(80);
    };
  }
}
