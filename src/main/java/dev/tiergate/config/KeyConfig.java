package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * One gateway key. The key itself is never kept: a {@code key} (normally {@code "${ENV}"}) is
 * turned into its SHA-256 at load, so neither this record's {@code toString()} nor anything built
 * from it can reveal it; {@code sha256} gives the digest directly, so the file need not hold the key.
 *
 * @param name the label the key is known by in metrics, logs and errors
 * @param sha256 lower-case hex SHA-256 of the key's UTF-8 bytes
 * @param tiers the tiers the key may use; null means every tier
 * @param rpm requests per minute, null for no limit
 * @param tpm tokens per minute (prompt estimate at admission, reconciled with the engine's usage), null for no limit
 * @param maxConcurrent requests open at once, null for no limit
 */
public record KeyConfig(String name, String sha256, List<String> tiers, Role role, Integer rpm, Long tpm, Integer maxConcurrent) {
  /** Shorter keys are refused: they could be guessed (generate one with {@code openssl rand -hex 24}). */
  public static final int MIN_KEY_CHARS = 16;

  @JsonCreator
  public static KeyConfig of(@com.fasterxml.jackson.annotation.JsonProperty("name") String name,
      @com.fasterxml.jackson.annotation.JsonProperty("key") String key,
      @com.fasterxml.jackson.annotation.JsonProperty("sha256") String sha256,
      @com.fasterxml.jackson.annotation.JsonProperty("tiers") List<String> tiers,
      @com.fasterxml.jackson.annotation.JsonProperty("role") Role role,
      @com.fasterxml.jackson.annotation.JsonProperty("rpm") Integer rpm,
      @com.fasterxml.jackson.annotation.JsonProperty("tpm") Long tpm,
      @com.fasterxml.jackson.annotation.JsonProperty("maxConcurrent") Integer maxConcurrent) {
    if (key != null && sha256 != null) {
      throw new IllegalArgumentException("give either key or sha256, not both");
    }
    if (key == null && sha256 == null) {
      throw new IllegalArgumentException("needs key (e.g. key: \"${ALICE_KEY}\") or sha256 (hex of the key's SHA-256)");
    }
    if (key != null) {
      // The key's characters are not in the message: they may be a secret that was pasted by mistake.
      if (key.length() < MIN_KEY_CHARS) {
        throw new IllegalArgumentException("the key is " + key.length() + " characters long; keys need at least "
            + MIN_KEY_CHARS + " (openssl rand -hex 24 makes a good one)");
      }
      sha256 = hex(key);
    }
    return new KeyConfig(name, sha256.toLowerCase(Locale.ROOT), tiers == null ? null : List.copyOf(tiers), role, rpm, tpm,
        maxConcurrent);
  }

  public KeyConfig {
    role = role == null ? Role.USER : role;
  }

  /** The SHA-256 of a key as lower-case hex, the form keys are compared and stored in. */
  public static String hex(String key) {
    return HexFormat.of().formatHex(digest(key));
  }

  public static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** What a key may do besides calling the API: {@code admin} also reads status, drives swaps, reloads keys. */
  public enum Role {
    USER("user"), ADMIN("admin");

    private final String id;

    Role(String id) {
      this.id = id;
    }

    @JsonValue
    public String id() {
      return id;
    }

    @JsonCreator
    public static Role parse(String s) {
      for (Role r : values()) {
        if (r.id.equals(s)) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown role '" + s + "' (allowed: user, admin)");
    }
  }
}
