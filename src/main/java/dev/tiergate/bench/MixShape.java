package dev.tiergate.bench;

import java.util.SplittableRandom;

/**
 * The shape of a mixed workload: the share of each class in the arrivals and the sizes each class draws from.
 * Sizes are in tokens (4 characters each); every range is inclusive.
 *
 * @param agentStart the context of an agent conversation's first turn
 * @param agentGrowth what each later turn adds (the previous tool call and its output)
 * @param agentMaxContext a conversation whose next turn would pass this ends; the next turn opens a new one
 * @param agentSessions agent conversations taking turns at once
 * @param maxPromptTokens no prompt is larger, so every tier's window can hold it with its output
 */
public record MixShape(double interactiveShare, double agentShare, double batchShare, Range interactivePrompt,
    Range interactiveOutput, Range agentStart, Range agentGrowth, int agentMaxContext, Range agentOutput, int agentSessions,
    Range batchPrompt, Range batchOutput, int maxPromptTokens) {

  /** An inclusive integer range drawn uniformly. */
  public record Range(int min, int max) {
    public Range {
      if (min < 0 || max < min) {
        throw new IllegalArgumentException("bad range " + min + ".." + max);
      }
    }

    int draw(SplittableRandom r) {
      return min == max ? min : min + r.nextInt(max - min + 1);
    }
  }

  public MixShape {
    if (!(interactiveShare >= 0 && agentShare >= 0 && batchShare >= 0) || interactiveShare + agentShare + batchShare <= 0) {
      throw new IllegalArgumentException("class shares must be >= 0 and not all 0");
    }
    if (agentSessions < 1 || agentMaxContext < agentStart.max() || maxPromptTokens < 1) {
      throw new IllegalArgumentException("agentSessions >= 1, agentMaxContext >= agentStart.max, maxPromptTokens >= 1");
    }
  }

  /**
   * The workload: chats of 100–800 tokens, agent turns growing 20k → 60k, about 100k-token batch prefills,
   * below the 131072-token windows of the demo's max and prefill tiers with room for the output.
   */
  public static MixShape full() {
    return new MixShape(0.93, 0.055, 0.015, new Range(100, 800), new Range(128, 512), new Range(20_000, 26_000),
        new Range(4_000, 9_000), 60_000, new Range(96, 256), 2, new Range(90_000, 110_000), new Range(32, 128), 120_000);
  }

  /**
   * The same classes, lighter, so three configurations run in under two minutes against the demo's slow sims:
   * long prompts stay above 16384 tokens (where the predicted configuration's admission control starts) but far
   * below the full run's.
   */
  public static MixShape quick() {
    return new MixShape(0.94, 0.04, 0.02, new Range(100, 400), new Range(32, 96), new Range(16_500, 17_000),
        new Range(500, 1_000), 19_000, new Range(32, 64), 1, new Range(18_000, 19_000), new Range(16, 32), 120_000);
  }

  double totalShare() {
    return interactiveShare + agentShare + batchShare;
  }

  double share(MixClass c) {
    return switch (c) {
      case INTERACTIVE -> interactiveShare;
      case AGENT -> agentShare;
      case BATCH -> batchShare;
    } / totalShare();
  }
}
