package dev.tiergate.config;

import java.util.List;
import java.util.Map;

/** The routing policy: ordered rules, a default tier, model aliases and estimate parameters. */
public record RoutingConfig(
    String defaultTier,
    List<RuleConfig> rules,
    Map<String, String> aliases,
    Double charsPerToken,
    Integer outputReserveTokens,
    Boolean rejectUnknownModels,
    Boolean learnPromptEstimate) {

  public RoutingConfig {
    rules = rules == null ? List.of() : List.copyOf(rules);
    aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
    charsPerToken = charsPerToken == null ? 4.0 : charsPerToken;
    outputReserveTokens = outputReserveTokens == null ? 256 : outputReserveTokens;
    rejectUnknownModels = rejectUnknownModels != null && rejectUnknownModels;
    // The engines' own counts correct charsPerToken unless turned off (a deployment whose tiers tokenize differently).
    learnPromptEstimate = learnPromptEstimate == null || learnPromptEstimate;
  }
}
