package dev.tiergate.auth;

import dev.tiergate.config.ConfigException;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.KeyConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's keys: the config's own plus those of {@code auth.keysFile}, which a reload
 * replaces as a whole or not at all. Lookups read one volatile reference; a reload publishes a
 * new immutable ring.
 */
public final class Keys {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.auth");
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  });

  /** The config in force: a config reload may change the tiers the keys file is checked against. */
  private volatile GatewayConfig config;
  private final ConfigLoader loader;
  private final boolean enabled;
  private volatile KeyRing ring;

  /** Reads the keys file now; a bad file stops the start with its problems. */
  public Keys(GatewayConfig config, ConfigLoader loader) {
    this.config = config;
    this.loader = loader;
    this.enabled = config.auth().enabled();
    this.ring = new KeyRing(merged(loader.loadKeysFile(config)));
  }

  /** Whether requests must carry a key. */
  public boolean enabled() {
    return enabled;
  }

  /**
   * The principal for the key in these header values; 401 {@code invalid_api_key} when there is no
   * usable key or it is not one of ours.
   */
  public Principal authenticate(String authorization, String apiKey, String query) {
    String key = Credentials.key(authorization, apiKey, query);
    Principal p = ring.find(SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    if (p == null) {
      throw Credentials.unauthorized("Incorrect API key provided. Check the key you send as Authorization: Bearer <key>.");
    }
    return p;
  }

  public List<Principal> principals() {
    return ring.all();
  }

  /**
   * Re-reads {@code auth.keysFile} (blocking: call it off the event loop). A file with any problem
   * changes nothing: the keys in force stay, and the result says why with each entry's path.
   */
  public Reload reload() {
    if (config.auth().keysFile() == null) {
      return new Reload(false, ring.size(), List.of("no auth.keysFile is configured; keys in the config file change only"
          + " with a restart"));
    }
    try {
      KeyRing next = new KeyRing(merged(loader.loadKeysFile(config)));
      ring = next;
      LOG.log(System.Logger.Level.INFO, "keys reloaded from " + config.auth().keysFile() + ": " + next.size() + " key(s) "
          + next.all().stream().map(Principal::name).toList());
      return new Reload(true, next.size(), List.of());
    } catch (ConfigException e) {
      LOG.log(System.Logger.Level.WARNING, "keys file not reloaded, the " + ring.size() + " key(s) in force stay: "
          + e.getMessage());
      return new Reload(false, ring.size(), e.problems());
    }
  }

  /**
   * Reads the keys file against a config a reload is about to put in force (blocking). Nothing
   * changes until {@link Staged#commit()}; a file with problems throws them, each with its path.
   */
  public Staged stage(GatewayConfig next) {
    KeyRing ring = new KeyRing(merged(loader.loadKeysFile(next)));
    return new Staged(next, ring);
  }

  /** The keys of a reload, checked and waiting to be put in force together with its config. */
  public final class Staged {
    private final GatewayConfig next;
    private final KeyRing staged;

    private Staged(GatewayConfig next, KeyRing staged) {
      this.next = next;
      this.staged = staged;
    }

    public int size() {
      return staged.size();
    }

    public void commit() {
      config = next;
      ring = staged;
    }
  }

  private List<KeyConfig> merged(List<KeyConfig> fromFile) {
    List<KeyConfig> all = new ArrayList<>(config.auth().keys());
    all.addAll(fromFile);
    return all;
  }

  /** What a reload did: whether the file's keys replaced the old ones, how many keys are in force, and the problems. */
  public record Reload(boolean reloaded, int keys, List<String> problems) {}
}
