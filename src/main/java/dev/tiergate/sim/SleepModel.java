package dev.tiergate.sim;

/**
 * The engine's own sleep and wake (vLLM sleep mode, SGLang memory release, llama.cpp router unload):
 * how long each takes, and the fault some engine versions show, output that differs after a wake.
 * Timings default to the published figures for a 27B-class model: level-1 sleep ≈ 1 s, wake ≈ 2 s
 * (vLLM blog "Zero-Reload Model Switching with vLLM Sleep Mode": wakes of 0.3–6 s).
 */
public record SleepModel(double sleepMs, double wakeMs, boolean corruptAfterWake) {
  public static final SleepModel NONE = new SleepModel(1000, 2000, false);

  public SleepModel {
    if (!(sleepMs >= 0) || !(wakeMs >= 0)) {
      throw new IllegalArgumentException("sleep and wake times must be >= 0");
    }
  }
}
