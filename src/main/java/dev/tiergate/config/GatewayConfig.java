package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.List;
import java.util.Optional;

/** The whole configuration file, immutable once loaded and validated. */
public record GatewayConfig(
    ServerConfig server,
    RoutingConfig routing,
    TimeoutConfig timeouts,
    HealthConfig health,
    List<TierConfig> tiers,
    MetricsConfig metrics,
    List<GroupConfig> groups,
    LifecycleSettings lifecycle,
    AuthConfig auth,
    ConsoleConfig console) {

  @JsonCreator
  public GatewayConfig {
    server = server == null ? ServerConfig.defaults() : server;
    timeouts = timeouts == null ? TimeoutConfig.defaults() : timeouts.over(TimeoutConfig.defaults());
    health = health == null ? HealthConfig.defaults() : health;
    tiers = tiers == null ? List.of() : List.copyOf(tiers);
    metrics = metrics == null ? MetricsConfig.defaults() : metrics;
    groups = groups == null ? List.of() : List.copyOf(groups);
    lifecycle = lifecycle == null ? LifecycleSettings.defaults() : lifecycle;
    auth = auth == null ? AuthConfig.defaults() : auth;
    console = console == null ? ConsoleConfig.defaults() : console;
  }

  /** The shape before the console existed. */
  public GatewayConfig(
      ServerConfig server, RoutingConfig routing, TimeoutConfig timeouts, HealthConfig health, List<TierConfig> tiers,
      MetricsConfig metrics, List<GroupConfig> groups, LifecycleSettings lifecycle, AuthConfig auth) {
    this(server, routing, timeouts, health, tiers, metrics, groups, lifecycle, auth, null);
  }

  /** The shape before gateway keys existed. */
  public GatewayConfig(
      ServerConfig server, RoutingConfig routing, TimeoutConfig timeouts, HealthConfig health, List<TierConfig> tiers,
      MetricsConfig metrics, List<GroupConfig> groups, LifecycleSettings lifecycle) {
    this(server, routing, timeouts, health, tiers, metrics, groups, lifecycle, null);
  }

  public GatewayConfig(
      ServerConfig server, RoutingConfig routing, TimeoutConfig timeouts, HealthConfig health, List<TierConfig> tiers,
      MetricsConfig metrics) {
    this(server, routing, timeouts, health, tiers, metrics, null, null, null);
  }

  /** The shape before the metrics section existed; kept so code building configs by hand still compiles. */
  public GatewayConfig(
      ServerConfig server, RoutingConfig routing, TimeoutConfig timeouts, HealthConfig health, List<TierConfig> tiers) {
    this(server, routing, timeouts, health, tiers, null);
  }

  public Optional<TierConfig> tier(String name) {
    return tiers.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** The timeouts in force for a tier: its own keys over the global ones. */
  public TimeoutConfig timeoutsFor(TierConfig tier) {
    return tier.timeouts() == null ? timeouts : tier.timeouts().over(timeouts);
  }

  public GatewayConfig withServer(ServerConfig s) {
    return new GatewayConfig(s, routing, timeouts, health, tiers, metrics, groups, lifecycle, auth, console);
  }

  public GatewayConfig withTiers(List<TierConfig> t) {
    return new GatewayConfig(server, routing, timeouts, health, t, metrics, groups, lifecycle, auth, console);
  }

  public GatewayConfig withConsole(ConsoleConfig c) {
    return new GatewayConfig(server, routing, timeouts, health, tiers, metrics, groups, lifecycle, auth, c);
  }

  /** The group a tier belongs to, if any. */
  public Optional<GroupConfig> groupOf(String tier) {
    return groups.stream().filter(g -> g.tiers().contains(tier)).findFirst();
  }
}
