package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Map;

/**
 * The routing policy: ordered rules, a default tier, model aliases and estimate parameters, and the
 * mode: {@code rules} (first matching rule, else the default tier), {@code predicted} (the backend
 * predicted to answer first, among the tiers the request may use, with a preference order), or
 * {@code roundRobin} (every tier that fits, in turn: a baseline for benchmarks).
 */
public record RoutingConfig(
    String defaultTier,
    List<RuleConfig> rules,
    Map<String, String> aliases,
    Double charsPerToken,
    Integer outputReserveTokens,
    Boolean rejectUnknownModels,
    Mode mode,
    Predicted predicted,
    Boolean learnPromptEstimate) {

  @JsonCreator
  public RoutingConfig {
    rules = rules == null ? List.of() : List.copyOf(rules);
    aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
    charsPerToken = charsPerToken == null ? 4.0 : charsPerToken;
    outputReserveTokens = outputReserveTokens == null ? 256 : outputReserveTokens;
    rejectUnknownModels = rejectUnknownModels != null && rejectUnknownModels;
    // The engines' own counts correct charsPerToken unless turned off (a deployment whose tiers tokenize differently).
    learnPromptEstimate = learnPromptEstimate == null || learnPromptEstimate;
    mode = mode == null ? Mode.RULES : mode;
    predicted = predicted == null ? new Predicted(null, null, null, null) : predicted;
  }

  public RoutingConfig(String defaultTier, List<RuleConfig> rules, Map<String, String> aliases, Double charsPerToken,
      Integer outputReserveTokens, Boolean rejectUnknownModels) {
    this(defaultTier, rules, aliases, charsPerToken, outputReserveTokens, rejectUnknownModels, null, null, null);
  }

  /** How a tier is chosen when the client does not name one. */
  public enum Mode {
    RULES("rules"), PREDICTED("predicted"), ROUND_ROBIN("roundRobin");

    private final String id;

    Mode(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static Mode parse(String s) {
      for (Mode m : values()) {
        if (m.id.equals(s)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown routing mode '" + s + "' (allowed: rules, predicted, roundRobin)");
    }
  }

  /**
   * Predicted routing: among the backends the request may use, the one predicted to serve it first —
   * except that a tier earlier in {@code prefer} wins while its prediction is within
   * {@code marginRatio} × best + {@code marginMs} (so {@code max} keeps serving when it is almost as quick).
   * {@code rankBy} says what "first" means: the first token ({@code ttft}), or the whole answer
   * ({@code completion}: the first token, then the output at the decode rate beside the streams decoding
   * there), which keeps short chats off a tier whose decode batch is already large.
   */
  public record Predicted(List<String> prefer, Double marginRatio, Long marginMs, RankBy rankBy) {
    public Predicted {
      prefer = prefer == null ? List.of() : List.copyOf(prefer);
      marginRatio = marginRatio == null ? 1.25 : marginRatio;
      marginMs = marginMs == null ? 250L : marginMs;
      rankBy = rankBy == null ? RankBy.TTFT : rankBy;
    }

    public Predicted(List<String> prefer, Double marginRatio, Long marginMs) {
      this(prefer, marginRatio, marginMs, null);
    }
  }

  /** What predicted routing minimises. */
  public enum RankBy {
    TTFT("ttft"), COMPLETION("completion");

    private final String id;

    RankBy(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static RankBy of(String s) {
      for (RankBy r : values()) {
        if (r.id.equals(s)) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown routing.predicted.rankBy '" + s + "' (allowed: ttft, completion)");
    }
  }
}
