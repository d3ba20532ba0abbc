package dev.tiergate.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks what the types alone cannot: names, references between sections, ranges, URLs. */
final class ConfigValidator {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
  private static final Pattern METRICS_PATH = Pattern.compile("/[A-Za-z0-9/_.-]{0,200}");
  /** Header values that mean "let the policy decide", so no tier may take these names. */
  private static final Set<String> RESERVED = Set.of("auto", "default");

  private final GatewayConfig config;
  private final List<String> problems = new ArrayList<>();
  private final Set<String> tierNames = new HashSet<>();

  ConfigValidator(GatewayConfig config) {
    this.config = config;
  }

  List<String> problems() {
    server(config.server());
    timeouts("timeouts", config.timeouts());
    health(config.health());
    tiers();
    routing(config.routing());
    metrics(config.metrics(), config.server());
    groups();
    auth(config.auth(), config.server());
    console(config.console());
    return problems;
  }

  private void auth(AuthConfig a, ServerConfig s) {
    keys("auth.keys", a.keys(), tierNames, problems, new HashSet<>(), new java.util.HashMap<>());
    if (a.anonymous() && a.enabled()) {
      problems.add("auth.anonymous: true serves requests without a key, but keys are configured; remove one of the two");
    }
    if (!a.enabled() && !a.anonymous() && !loopback(s.host())) {
      problems.add("server.host: '" + s.host() + "' can be reached from other machines, and no gateway keys are configured,"
          + " so anyone on the network could use every tier. Choose one: add keys (auth.keys or auth.keysFile; see README"
          + " \"Keys and limits\"), or set auth.anonymous: true to serve anyone who can reach the port, or bind"
          + " server.host: 127.0.0.1");
    }
    LimitsConfig l = a.limits();
    positive("auth.limits.timeoutMs", l.timeoutMs());
    if (l.prefix().isEmpty() || l.prefix().length() > 64) {
      problems.add("auth.limits.prefix: must be 1..64 characters, got '" + l.prefix() + "'");
    }
    if (l.store() == LimitsConfig.Store.REDIS) {
      if (l.redis() == null || l.redis().isBlank()) {
        problems.add("auth.limits.redis: required with store: redis (e.g. redis://127.0.0.1:6379)");
      } else if (!(l.redis().startsWith("redis://") || l.redis().startsWith("rediss://") || l.redis().startsWith("unix://"))) {
        problems.add("auth.limits.redis: must be a redis://, rediss:// or unix:// URL");
      }
    }
  }

  /**
   * Checks gateway keys, inline or from a keys file: names, tiers, limits, and that no two entries
   * share a name or a key. Messages name entries by path and name, never by key or digest.
   *
   * @param names names seen so far (across the config's keys and the file's)
   * @param digests digest to the path that used it first
   */
  static void keys(String at, List<KeyConfig> keys, Set<String> tiers, List<String> problems, Set<String> names,
      Map<String, String> digests) {
    for (int i = 0; i < keys.size(); i++) {
      KeyConfig k = keys.get(i);
      String kat = at + "[" + i + "]";
      if (k == null) {
        problems.add(kat + ": empty entry");
        continue;
      }
      if (k.name() == null) {
        problems.add(kat + ".name: required (the key's label in metrics and logs)");
      } else if (!NAME.matcher(k.name()).matches()) {
        problems.add(kat + ".name: '" + k.name() + "' must be lower-case letters, digits, '-', '_' or '.' (max 63)");
      } else if (!names.add(k.name())) {
        problems.add(kat + ".name: duplicate key name '" + k.name() + "'");
      }
      if (!k.sha256().matches("[0-9a-f]{64}")) {
        problems.add(kat + ".sha256: must be 64 hex digits (printf %s \"$KEY\" | sha256sum)");
      } else {
        String first = digests.putIfAbsent(k.sha256(), kat);
        if (first != null) {
          problems.add(kat + ": the same key as " + first + "; every key must be different");
        }
      }
      if (k.tiers() != null) {
        if (k.tiers().isEmpty()) {
          problems.add(kat + ".tiers: empty; leave it out for every tier, or name at least one");
        }
        for (int j = 0; j < k.tiers().size(); j++) {
          String t = k.tiers().get(j);
          if (!tiers.contains(t)) {
            problems.add(kat + ".tiers[" + j + "]: unknown tier '" + t + "' (tiers: " + new java.util.TreeSet<>(tiers) + ")");
          }
        }
      }
      positiveIfSet(kat + ".rpm", k.rpm() == null ? null : (long) k.rpm(), problems);
      positiveIfSet(kat + ".tpm", k.tpm(), problems);
      positiveIfSet(kat + ".maxConcurrent", k.maxConcurrent() == null ? null : (long) k.maxConcurrent(), problems);
    }
  }

  private static void positiveIfSet(String at, Long v, List<String> problems) {
    if (v != null && v <= 0) {
      problems.add(at + ": must be positive, got " + v + " (leave it out for no limit)");
    }
  }

  /** Loopback without a DNS lookup: an IP literal in 127/8 or ::1, or the name localhost. */
  static boolean loopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      return false;
    }
    try {
      return java.net.InetAddress.getByName(h).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  Set<String> tierNames() {
    return tierNames;
  }

  private void server(ServerConfig s) {
    if (s.port() < 0 || s.port() > 65535) {
      problems.add("server.port: must be 0..65535, got " + s.port());
    }
    if (s.maxBodyBytes() <= 0) {
      problems.add("server.maxBodyBytes: must be positive, got " + s.maxBodyBytes());
    }
    if (s.maxResponseBytes() <= 0) {
      problems.add("server.maxResponseBytes: must be positive, got " + s.maxResponseBytes());
    }
    if (s.instances() < 1 || s.instances() > 64) {
      problems.add("server.instances: must be 1..64, got " + s.instances());
    }
    if (s.drainMs() < 0) {
      problems.add("server.drainMs: must not be negative, got " + s.drainMs());
    }
    positive("server.headerTimeoutMs", s.headerTimeoutMs());
    positive("server.bodyTimeoutMs", s.bodyTimeoutMs());
    positive("server.keepAliveTimeoutMs", s.keepAliveTimeoutMs());
    positive("server.maxEventBytes", s.maxEventBytes());
    if (s.maxConnections() < 1) {
      problems.add("server.maxConnections: must be at least 1, got " + s.maxConnections());
    }
    if (s.maxBufferedBytes() < s.maxBodyBytes()) {
      problems.add("server.maxBufferedBytes: " + s.maxBufferedBytes() + " is less than server.maxBodyBytes (" + s.maxBodyBytes()
          + "): no body of the largest allowed size could ever be read");
    }
    CorsOrigins.check("server.cors", s.cors(), problems);
  }

  private void console(ConsoleConfig c) {
    if (c.maxViewers() < 1 || c.maxViewers() > 1000) {
      problems.add("console.maxViewers: must be 1..1000, got " + c.maxViewers());
    }
    if (c.recentRequests() < 1024 || c.recentRequests() > 4 * 1024 * 1024) {
      problems.add("console.recentRequests: must be 1024..4194304, got " + c.recentRequests());
    }
    if (c.pushMs() < 100 || c.pushMs() > 60_000) {
      problems.add("console.pushMs: must be 100..60000, got " + c.pushMs());
    }
    if (c.report() != null && c.report().isBlank()) {
      problems.add("console.report: must be a path to a bench tiers --json file, got an empty string");
    }
  }

  private void metrics(MetricsConfig m, ServerConfig s) {
    String path = m.path();
    if (!METRICS_PATH.matcher(path).matches()) {
      problems.add("metrics.path: must start with '/' and use only letters, digits, '/', '-', '_' or '.', got '" + path + "'");
    } else if (m.port() == null && (path.equals("/") || path.equals("/v1") || path.startsWith("/v1/")
        || path.startsWith("/tiergate/") || path.equals("/health") || path.equals("/ready"))) {
      problems.add("metrics.path: '" + path + "' collides with an API route on the gateway port; pick another path or set metrics.port");
    }
    if (m.port() != null && (m.port() < 0 || m.port() > 65535)) {
      problems.add("metrics.port: must be 0..65535, got " + m.port());
    } else if (m.port() != null && m.port() != 0 && m.port().equals(s.port())) {
      problems.add("metrics.port: " + m.port() + " is the gateway's own port; leave metrics.port unset to serve "
          + m.path() + " there");
    }
    if (m.host() != null && m.host().isBlank()) {
      problems.add("metrics.host: must not be blank (leave it unset to use server.host)");
    }
  }

  private void health(HealthConfig h) {
    positive("health.intervalMs", h.intervalMs());
    positive("health.timeoutMs", h.timeoutMs());
    positive("health.cooldownMs", h.cooldownMs());
    positive("health.stallMs", h.stallMs());
    positive("health.deepProbeTimeoutMs", h.deepProbeTimeoutMs());
    positive("health.discoveryIntervalMs", h.discoveryIntervalMs());
    if (h.failureThreshold() < 1) {
      problems.add("health.failureThreshold: must be at least 1, got " + h.failureThreshold());
    }
  }

  private void tiers() {
    List<TierConfig> tiers = config.tiers();
    if (tiers.isEmpty()) {
      problems.add("tiers: at least one tier is required");
    }
    Set<String> backendNames = new HashSet<>();
    for (int i = 0; i < tiers.size(); i++) {
      TierConfig t = tiers.get(i);
      String at = "tiers[" + i + "]";
      if (t == null) {
        problems.add(at + ": empty entry");
        continue;
      }
      if (name(at + ".name", t.name()) && !tierNames.add(t.name())) {
        problems.add(at + ".name: duplicate tier name '" + t.name() + "'");
      }
      if (t.name() != null && RESERVED.contains(t.name())) {
        problems.add(at + ".name: '" + t.name() + "' is reserved for the routing policy");
      }
      if (t.backends().isEmpty()) {
        problems.add(at + ".backends: a tier needs at least one backend");
      }
      for (int j = 0; j < t.backends().size(); j++) {
        backend(at + ".backends[" + j + "]", t.backends().get(j), backendNames);
      }
      if (t.timeouts() != null) {
        timeouts(at + ".timeouts", t.timeouts().over(config.timeouts()));
      }
      if (t.lifecycle() != null) {
        lifecycle(at + ".lifecycle", t.lifecycle());
      }
      policy(at, t);
    }
    for (int i = 0; i < tiers.size(); i++) {
      TierConfig t = tiers.get(i);
      if (t == null || t.fallback() == null) {
        continue;
      }
      for (int j = 0; j < t.fallback().size(); j++) {
        String f = t.fallback().get(j);
        String at = "tiers[" + i + "].fallback[" + j + "]";
        if (!tierNames.contains(f)) {
          problems.add(at + ": unknown tier '" + f + "' (tiers: " + tierNames + ")");
        } else if (f.equals(t.name())) {
          problems.add(at + ": a tier cannot fall back to itself");
        }
      }
    }
  }

  private void policy(String at, TierConfig t) {
    if (t.profile() != null) {
      TierPolicy.Profile p = t.profile();
      if (!(p.prefillTps() > 0) || !(p.decodeTps() > 0) || p.ttftBaseMs() < 0 || p.prefillHalfRateTokens() < 0) {
        problems.add(at + ".profile: prefillTps and decodeTps must be positive, ttftBaseMs and prefillHalfRateTokens not negative");
      }
    }
    if (t.admission() != null) {
      TierPolicy.Admission a = t.admission();
      if (a.longPromptTokens() < 1 || a.maxQueue() < 1 || a.maxQueuedPrefillTokens() < 1 || a.maxWaitMs() < 1) {
        problems.add(at + ".admission: longPromptTokens, maxQueue, maxQueuedPrefillTokens and maxWaitMs must be positive");
      }
    }
    if (t.slo() != null && (t.slo().ttftMs() == null && t.slo().tpotMs() == null
        || t.slo().ttftMs() != null && t.slo().ttftMs() <= 0 || t.slo().tpotMs() != null && t.slo().tpotMs() <= 0)) {
      problems.add(at + ".slo: give ttftMs and/or tpotMs, positive");
    }
  }

  private void lifecycle(String at, LifecycleConfig l) {
    int modes = (l.process() != null ? 1 : 0) + (l.commands() != null ? 1 : 0) + (l.http() != null ? 1 : 0);
    if (modes != 1) {
      problems.add(at + ": set exactly one of process, commands or http (got " + modes + ")");
    }
    positive(at + ".readyTimeoutMs", l.readyTimeoutMs());
    if (l.process() != null) {
      argv(at + ".process.command", l.process().command());
      nonNegative(at + ".process.stopGraceMs", l.process().stopGraceMs());
      if (l.process().logLines() < 0 || l.process().logLines() > 100_000) {
        problems.add(at + ".process.logLines: must be 0..100000, got " + l.process().logLines());
      }
    }
    if (l.commands() != null) {
      argv(at + ".commands.start", l.commands().start());
      argv(at + ".commands.stop", l.commands().stop());
      positive(at + ".commands.timeoutMs", l.commands().timeoutMs());
    }
    if (l.http() != null) {
      call(at + ".http", l.http().start());
      if (l.http().stop() != null) {
        call(at + ".http.stop", l.http().stop());
      }
    }
    if (l.warm() != null) {
      warm(at + ".warm", l);
    }
  }

  private void warm(String at, LifecycleConfig l) {
    LifecycleConfig.Warm w = l.warm();
    if (l.http() != null) {
      problems.add(at + ": warm swaps need the engine started by tiergate (process or commands), not an http control call");
    }
    if (w.engine() == null || w.engine() == Engine.IKLLAMA) {
      problems.add(at + ".engine: must be vllm, sglang or llamacpp (the engines with a sleep or unload API)");
    }
    if (w.level() != 1 && w.level() != 2) {
      problems.add(at + ".level: must be 1 (weights kept in host RAM) or 2 (weights dropped), got " + w.level());
    }
    positive(at + ".sleepTimeoutMs", w.sleepTimeoutMs());
    positive(at + ".wakeTimeoutMs", w.wakeTimeoutMs());
    if (!w.drain().equals("cut") && !w.drain().equals("wait")) {
      problems.add(at + ".drain: must be cut or wait, got '" + w.drain() + "'");
    }
    if (w.canary().maxTokens() < 1 || w.canary().maxTokens() > 64) {
      problems.add(at + ".canary.maxTokens: must be 1..64, got " + w.canary().maxTokens());
    }
    if (w.canary().prompt().isBlank()) {
      problems.add(at + ".canary.prompt: must not be blank");
    }
  }

  private void argv(String at, List<String> argv) {
    if (argv.isEmpty()) {
      problems.add(at + ": needs at least the program to run (an argv list, e.g. [llama-server, -m, model.gguf])");
    } else if (argv.get(0) == null || argv.get(0).isBlank()) {
      problems.add(at + "[0]: the program must not be empty");
    }
  }

  private void call(String at, LifecycleConfig.Call c) {
    url(at + ".url", c.url());
    if (!Set.of("GET", "POST", "PUT", "DELETE", "PATCH").contains(c.method())) {
      problems.add(at + ".method: must be GET, POST, PUT, DELETE or PATCH, got '" + c.method() + "'");
    }
    positive(at + ".timeoutMs", c.timeoutMs());
  }

  private void groups() {
    Set<String> names = new HashSet<>();
    Map<String, String> owner = new java.util.HashMap<>();
    for (int i = 0; i < config.groups().size(); i++) {
      GroupConfig g = config.groups().get(i);
      String at = "groups[" + i + "]";
      if (g == null) {
        problems.add(at + ": empty entry");
        continue;
      }
      if (name(at + ".name", g.name()) && !names.add(g.name())) {
        problems.add(at + ".name: duplicate group name '" + g.name() + "'");
      }
      if (!g.exclusive()) {
        problems.add(at + ".exclusive: only exclusive groups exist; tiers that may run together belong in no group");
      }
      if (g.tiers().size() < 2) {
        problems.add(at + ".tiers: a group needs at least two tiers that share the hardware");
      }
      for (int j = 0; j < g.tiers().size(); j++) {
        String t = g.tiers().get(j);
        String tat = at + ".tiers[" + j + "]";
        if (!tierNames.contains(t)) {
          problems.add(tat + ": unknown tier '" + t + "' (tiers: " + tierNames + ")");
          continue;
        }
        String before = owner.putIfAbsent(t, g.name());
        if (before != null) {
          problems.add(tat + ": tier '" + t + "' is already in group '" + before + "'; a tier belongs to one group at most");
        }
        config.tier(t).filter(tc -> tc.lifecycle() == null).ifPresent(tc -> problems.add(tat + ": tier '" + t
            + "' has no lifecycle; tiergate cannot start or stop it (set tiers[].lifecycle)"));
      }
      if (g.home() == null) {
        problems.add(at + ".home: required (the tier brought up at start and after idleMs)");
      } else if (!g.tiers().contains(g.home())) {
        problems.add(at + ".home: '" + g.home() + "' is not one of the group's tiers " + g.tiers());
      }
      nonNegative(at + ".minLiveMs", g.minLiveMs());
      nonNegative(at + ".idleMs", g.idleMs());
      positive(at + ".maxWaitMs", g.maxWaitMs());
      nonNegative(at + ".drainMs", g.drainMs());
      if (g.maxQueue() < 1) {
        problems.add(at + ".maxQueue: must be at least 1, got " + g.maxQueue());
      }
    }
  }

  private void nonNegative(String at, Long v) {
    if (v != null && v < 0) {
      problems.add(at + ": must not be negative, got " + v);
    }
  }

  private void backend(String at, BackendConfig b, Set<String> names) {
    if (b == null) {
      problems.add(at + ": empty entry");
      return;
    }
    if (name(at + ".name", b.name()) && !names.add(b.name())) {
      problems.add(at + ".name: duplicate backend name '" + b.name() + "' (backend names are unique across tiers)");
    }
    url(at + ".url", b.url());
    if (b.engine() == null) {
      problems.add(at + ".engine: required (" + Engine.allowed() + ")");
    }
    if (b.model() != null && b.model().isBlank()) {
      problems.add(at + ".model: must not be blank (leave it out to use the name the engine reports)");
    }
    if (b.maxInflight() != null && b.maxInflight() <= 0) {
      problems.add(at + ".maxInflight: must be positive, got " + b.maxInflight());
    }
    if (b.contextWindow() != null && b.contextWindow() <= 0) {
      problems.add(at + ".contextWindow: must be positive, got " + b.contextWindow());
    }
    endpoints(at, b);
  }

  /** {@code serves} adds endpoints beyond chat and completions; {@code translate} names only translatable ones. */
  private void endpoints(String at, BackendConfig b) {
    for (int i = 0; i < b.serves().size(); i++) {
      Api a = b.serves().get(i);
      if (a == null || a == Api.CHAT || a == Api.COMPLETIONS) {
        problems.add(at + ".serves[" + i + "]: every engine serves chat and completions; list only the other endpoints");
      } else if (b.translate().contains(a)) {
        problems.add(at + ".serves[" + i + "]: '" + a.id() + "' is also in translate; an endpoint is served natively or translated");
      }
    }
    for (int i = 0; i < b.translate().size(); i++) {
      Api a = b.translate().get(i);
      if (a == null || !a.translatable()) {
        problems.add(at + ".translate[" + i + "]: only responses and messages can be translated to chat, got '"
            + (a == null ? "null" : a.id()) + "'");
      }
    }
  }

  private void url(String at, String url) {
    if (url == null || url.isBlank()) {
      problems.add(at + ": required");
      return;
    }
    try {
      URI u = new URI(url);
      String scheme = u.getScheme();
      // getRawUserInfo() is null whenever the authority is not a plain host:port (a password with an '@', a host
      // with an '_'), and the messages below quote the URL: look for the '@' itself.
      if (u.getRawUserInfo() != null || u.getRawAuthority() != null && u.getRawAuthority().contains("@")) {
        // A password in the URL would show in /tiergate/status and in logs (this message included).
        problems.add(at + ": must not carry a user name or password (user:password@); give the engine's key as apiKey");
      } else if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
        problems.add(at + ": must be an http:// or https:// URL, got '" + url + "'");
      } else if (u.getHost() == null) {
        problems.add(at + ": no host in '" + url + "'");
      } else if (u.getQuery() != null || u.getFragment() != null) {
        problems.add(at + ": must not carry a query or fragment, got '" + url + "'");
      }
    } catch (java.net.URISyntaxException e) {
      // The input is left out: it may hold a password.
      problems.add(at + ": not a URL (" + e.getReason() + " at index " + e.getIndex() + ")");
    }
  }

  private void routing(RoutingConfig r) {
    if (r == null) {
      problems.add("routing: required (at least routing.defaultTier)");
      return;
    }
    if (r.defaultTier() == null) {
      problems.add("routing.defaultTier: required");
    } else {
      tierRef("routing.defaultTier", r.defaultTier());
    }
    if (!(r.charsPerToken() > 0 && r.charsPerToken() < 100)) {
      problems.add("routing.charsPerToken: must be in (0, 100), got " + r.charsPerToken());
    }
    if (r.outputReserveTokens() < 0) {
      problems.add("routing.outputReserveTokens: must not be negative");
    }
    Set<String> ruleNames = new HashSet<>();
    for (int i = 0; i < r.rules().size(); i++) {
      RuleConfig rule = r.rules().get(i);
      String at = "routing.rules[" + i + "]";
      if (rule == null) {
        problems.add(at + ": empty entry");
        continue;
      }
      if (name(at + ".name", rule.name()) && !ruleNames.add(rule.name())) {
        problems.add(at + ".name: duplicate rule name '" + rule.name() + "'");
      }
      if (rule.tier() == null) {
        problems.add(at + ".tier: required");
      } else {
        tierRef(at + ".tier", rule.tier());
      }
      condition(at + ".when", rule.when());
    }
    for (Map.Entry<String, String> a : r.aliases().entrySet()) {
      tierRef("routing.aliases." + a.getKey(), a.getValue());
    }
    for (int i = 0; i < r.predicted().prefer().size(); i++) {
      tierRef("routing.predicted.prefer[" + i + "]", r.predicted().prefer().get(i));
    }
    if (!(r.predicted().marginRatio() >= 1.0 && r.predicted().marginRatio() <= 100)) {
      problems.add("routing.predicted.marginRatio: must be in [1, 100], got " + r.predicted().marginRatio());
    }
    nonNegative("routing.predicted.marginMs", r.predicted().marginMs());
  }

  private void condition(String at, RuleConfig.RuleCondition c) {
    if (c == null) {
      problems.add(at + ": required (a rule without conditions would shadow every later rule; use routing.defaultTier)");
      return;
    }
    nonNegative(at + ".promptTokensAtLeast", c.promptTokensAtLeast());
    nonNegative(at + ".promptTokensBelow", c.promptTokensBelow());
    nonNegative(at + ".maxTokensAtLeast", c.maxTokensAtLeast());
    if (c.endpoint() != null && Api.byId(c.endpoint()) == null) {
      problems.add(at + ".endpoint: must be one of " + Api.allowed() + ", got '" + c.endpoint() + "'");
    }
    if (c.promptTokensAtLeast() == null && c.promptTokensBelow() == null && c.maxTokensAtLeast() == null
        && c.stream() == null && c.endpoint() == null && c.hasTools() == null) {
      problems.add(at + ": needs at least one condition");
    }
  }

  private void timeouts(String at, TimeoutConfig t) {
    positive(at + ".connectMs", t.connectMs());
    positive(at + ".ttftMs", t.ttftMs());
    positive(at + ".idleMs", t.idleMs());
    positive(at + ".totalMs", t.totalMs());
    if (t.connectMs() != null && t.ttftMs() != null && t.connectMs() > t.ttftMs()) {
      problems.add(at + ": connectMs (" + t.connectMs() + ") must not exceed ttftMs (" + t.ttftMs() + ")");
    }
    if (t.ttftMs() != null && t.totalMs() != null && t.ttftMs() > t.totalMs()) {
      problems.add(at + ": ttftMs (" + t.ttftMs() + ") must not exceed totalMs (" + t.totalMs() + ")");
    }
    if (t.idleMs() != null && t.totalMs() != null && t.idleMs() > t.totalMs()) {
      problems.add(at + ": idleMs (" + t.idleMs() + ") must not exceed totalMs (" + t.totalMs() + ")");
    }
  }

  private boolean name(String at, String name) {
    if (name == null) {
      problems.add(at + ": required");
      return false;
    }
    if (!NAME.matcher(name).matches()) {
      problems.add(at + ": '" + name + "' must be lower-case letters, digits, '-', '_' or '.' (max 63)");
      return false;
    }
    return true;
  }

  private void tierRef(String at, String tier) {
    if (!tierNames.contains(tier)) {
      problems.add(at + ": unknown tier '" + tier + "' (tiers: " + tierNames + ")");
    }
  }

  private void positive(String at, Long v) {
    if (v != null && v <= 0) {
      problems.add(at + ": must be positive, got " + v);
    }
  }

  private void nonNegative(String at, Integer v) {
    if (v != null && v < 0) {
      problems.add(at + ": must not be negative, got " + v);
    }
  }
}
