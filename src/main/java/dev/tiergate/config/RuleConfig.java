package dev.tiergate.config;

/** One routing rule: when every condition in {@code when} holds, the request goes to {@code tier}. */
public record RuleConfig(String name, RuleCondition when, String tier) {

  /** Conditions of a rule; a null field is not checked. All set fields must hold. */
  public record RuleCondition(
      Integer promptTokensAtLeast,
      Integer promptTokensBelow,
      Integer maxTokensAtLeast,
      Boolean stream,
      String endpoint,
      Boolean hasTools) {}
}
