package dev.tiergate.routing;

/**
 * What the policy needs to know about one request, already extracted by the API layer.
 *
 * @param promptTokens estimate over the whole conversation (messages, tools, tool results)
 * @param maxTokens the output budget the client asked for, or -1 when it did not say
 * @param endpoint "chat" or "completions"
 * @param tierHint a tier named by the client (header or model alias), or null for "let the policy decide"
 * @param hintSource "header" or "model" when a hint is present
 * @param strict true when the client refuses any tier but the hinted one
 * @param tieBreak rotates the choice among equally loaded backends
 * @param maxTtftMs the client's TTFT objective ({@code x-tiergate-max-ttft-ms}), or -1
 * @param allowedTiers the tiers the client's key may use, or null for every tier: the others are never candidates
 */
public record RouteInput(
    int promptTokens,
    int maxTokens,
    String endpoint,
    boolean stream,
    boolean hasTools,
    String tierHint,
    String hintSource,
    boolean strict,
    int tieBreak,
    long maxTtftMs,
    java.util.Set<String> allowedTiers) {

  public RouteInput(int promptTokens, int maxTokens, String endpoint, boolean stream, boolean hasTools, String tierHint,
      String hintSource, boolean strict, int tieBreak) {
    this(promptTokens, maxTokens, endpoint, stream, hasTools, tierHint, hintSource, strict, tieBreak, -1, null);
  }

  public RouteInput(int promptTokens, int maxTokens, String endpoint, boolean stream, boolean hasTools, String tierHint,
      String hintSource, boolean strict, int tieBreak, long maxTtftMs) {
    this(promptTokens, maxTokens, endpoint, stream, hasTools, tierHint, hintSource, strict, tieBreak, maxTtftMs, null);
  }

  public boolean allows(String tier) {
    return allowedTiers == null || allowedTiers.contains(tier);
  }
}
