package dev.tiergate.config;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a reload would change, between the config in force and a newly loaded one. Backends are
 * known by name: one whose entry or tier differs in any way is {@code changed}, which the gateway
 * treats as removed and added (the old one drains, the new one is probed before it is routed).
 *
 * @param fixed one message per key that cannot change while the gateway runs, each naming its key path
 */
public record ConfigChange(List<String> addedBackends, List<String> removedBackends, List<String> changedBackends,
    List<String> addedTiers, List<String> removedTiers, List<String> changedTiers, boolean rulesChanged,
    boolean aliasesChanged, boolean routingChanged, boolean timeoutsChanged, boolean healthChanged, List<String> fixed) {

  /** Sections bound at start: listeners, meters, the key ring's shape, the engine processes, the console's buffers. */
  private static final List<String> FIXED_SECTIONS = List.of("server", "metrics", "auth", "groups", "lifecycle", "console");

  public static ConfigChange between(GatewayConfig old, GatewayConfig next) {
    Map<String, String> oldTier = tierOfBackend(old);
    Map<String, String> nextTier = tierOfBackend(next);
    Map<String, BackendConfig> oldB = backends(old);
    Map<String, BackendConfig> nextB = backends(next);
    List<String> added = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    for (String b : nextB.keySet()) {
      if (!oldB.containsKey(b)) {
        added.add(b);
      } else if (!oldB.get(b).equals(nextB.get(b)) || !oldTier.get(b).equals(nextTier.get(b))) {
        changed.add(b);
      }
    }
    List<String> removed = oldB.keySet().stream().filter(b -> !nextB.containsKey(b)).toList();
    List<String> addedTiers = new ArrayList<>();
    List<String> changedTiers = new ArrayList<>();
    for (TierConfig t : next.tiers()) {
      TierConfig before = old.tier(t.name()).orElse(null);
      if (before == null) {
        addedTiers.add(t.name());
      } else if (!before.equals(t)) {
        changedTiers.add(t.name());
      }
    }
    List<String> removedTiers = old.tiers().stream().map(TierConfig::name).filter(n -> next.tier(n).isEmpty()).toList();
    RoutingConfig r0 = old.routing();
    RoutingConfig r1 = next.routing();
    return new ConfigChange(List.copyOf(added), removed, List.copyOf(changed), List.copyOf(addedTiers), removedTiers,
        List.copyOf(changedTiers), !Objects.equals(rules(r0), rules(r1)), !Objects.equals(aliases(r0), aliases(r1)),
        !Objects.equals(r0, r1), !old.timeouts().equals(next.timeouts()), !old.health().equals(next.health()),
        fixed(old, next));
  }

  /** Nothing at all differs (a reload of the same file). */
  public boolean none() {
    return addedBackends.isEmpty() && removedBackends.isEmpty() && changedBackends.isEmpty() && addedTiers.isEmpty()
        && removedTiers.isEmpty() && changedTiers.isEmpty() && !routingChanged && !timeoutsChanged && !healthChanged;
  }

  /**
   * Keys that cannot change live: the fixed sections, and every tier whose engine tiergate starts
   * and stops (a lifecycle, or a member of a group): its processes are not restarted by a reload.
   */
  static List<String> fixed(GatewayConfig old, GatewayConfig next) {
    List<String> problems = new ArrayList<>();
    for (String section : FIXED_SECTIONS) {
      for (String path : differences(section, component(old, section), component(next, section))) {
        problems.add(path + " cannot change on reload; restart");
      }
    }
    Set<String> managed = new LinkedHashSet<>();
    managed.addAll(managed(old));
    managed.addAll(managed(next));
    for (String name : managed) {
      int before = index(old, name);
      int after = index(next, name);
      String why = " (tiergate starts and stops this tier's engine: lifecycle or group); restart";
      if (after < 0) {
        problems.add("tiers[" + before + "] (" + name + ") cannot be removed on reload" + why);
      } else if (before < 0) {
        problems.add("tiers[" + after + "] (" + name + ") cannot be added on reload" + why);
      } else {
        for (String path : differences("tiers[" + after + "]", old.tiers().get(before), next.tiers().get(after))) {
          problems.add(path + " cannot change on reload" + why);
        }
      }
    }
    return List.copyOf(problems);
  }

  /**
   * The key paths at which two config values differ: records by component, lists by index (a
   * different length is the list's own path), maps by key. Only paths, never values: a value may be
   * a secret.
   */
  static List<String> differences(String path, Object a, Object b) {
    List<String> out = new ArrayList<>();
    diff(path, a, b, out);
    return out;
  }

  private static void diff(String path, Object a, Object b, List<String> out) {
    if (Objects.equals(a, b)) {
      return;
    }
    if (a == null || b == null || a.getClass() != b.getClass()) {
      out.add(path);
    } else if (a instanceof Record) {
      for (RecordComponent c : a.getClass().getRecordComponents()) {
        diff(path + "." + c.getName(), value(c, a), value(c, b), out);
      }
    } else if (a instanceof List<?> la && b instanceof List<?> lb && la.size() == lb.size()) {
      for (int i = 0; i < la.size(); i++) {
        diff(path + "[" + i + "]", la.get(i), lb.get(i), out);
      }
    } else if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      Set<Object> keys = new LinkedHashSet<>(ma.keySet());
      keys.addAll(mb.keySet());
      keys.forEach(k -> diff(path + "." + k, ma.get(k), mb.get(k), out));
    } else {
      out.add(path);
    }
  }

  private static Object component(GatewayConfig c, String name) {
    for (RecordComponent rc : GatewayConfig.class.getRecordComponents()) {
      if (rc.getName().equals(name)) {
        return value(rc, c);
      }
    }
    throw new IllegalArgumentException("no section " + name);
  }

  private static Object value(RecordComponent c, Object record) {
    try {
      return c.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + c.getName(), e);
    }
  }

  private static Set<String> managed(GatewayConfig c) {
    Set<String> names = new LinkedHashSet<>();
    for (TierConfig t : c.tiers()) {
      if (t.lifecycle() != null || c.groupOf(t.name()).isPresent()) {
        names.add(t.name());
      }
    }
    return names;
  }

  private static int index(GatewayConfig c, String tier) {
    for (int i = 0; i < c.tiers().size(); i++) {
      if (c.tiers().get(i).name().equals(tier)) {
        return i;
      }
    }
    return -1;
  }

  private static Map<String, String> tierOfBackend(GatewayConfig c) {
    Map<String, String> m = new LinkedHashMap<>();
    c.tiers().forEach(t -> t.backends().forEach(b -> m.put(b.name(), t.name())));
    return m;
  }

  private static Map<String, BackendConfig> backends(GatewayConfig c) {
    Map<String, BackendConfig> m = new LinkedHashMap<>();
    c.tiers().forEach(t -> t.backends().forEach(b -> m.put(b.name(), b)));
    return m;
  }

  private static List<RuleConfig> rules(RoutingConfig r) {
    return r == null ? List.of() : r.rules();
  }

  private static Map<String, String> aliases(RoutingConfig r) {
    return r == null ? Map.of() : r.aliases();
  }
}
