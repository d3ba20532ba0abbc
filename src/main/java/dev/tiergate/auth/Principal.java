package dev.tiergate.auth;

import dev.tiergate.config.KeyConfig;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Who a request comes from: a configured key's name, role, tiers and limits. Nothing here can
 * reveal the key; {@link #id()} is its SHA-256, the only form in which it reaches Redis.
 */
public final class Principal {
  private final String name;
  private final boolean admin;
  private final Set<String> tiers;
  private final List<String> tierList;
  private final int rpm;
  private final long tpm;
  private final int maxConcurrent;
  private final String id;
  final byte[] digest;

  Principal(KeyConfig k) {
    this.name = k.name();
    this.admin = k.role() == KeyConfig.Role.ADMIN;
    this.tiers = k.tiers() == null ? null : Set.copyOf(k.tiers());
    this.tierList = k.tiers();
    this.rpm = k.rpm() == null ? 0 : k.rpm();
    this.tpm = k.tpm() == null ? 0 : k.tpm();
    this.maxConcurrent = k.maxConcurrent() == null ? 0 : k.maxConcurrent();
    this.id = k.sha256();
    this.digest = HexFormat.of().parseHex(k.sha256());
  }

  /** The key's configured name: the only way it appears in labels, logs and errors. */
  public String name() {
    return name;
  }

  public boolean admin() {
    return admin;
  }

  /** The tiers this key may use, or null for every tier. */
  public Set<String> tiers() {
    return tiers;
  }

  public boolean allows(String tier) {
    return tiers == null || tiers.contains(tier);
  }

  /** The allowed tiers as the configuration lists them, for error messages. */
  public String tiersText() {
    return tierList == null ? "all" : String.join(", ", tierList);
  }

  /** Requests per minute; 0 = no limit. */
  public int rpm() {
    return rpm;
  }

  /** Tokens per minute; 0 = no limit. */
  public long tpm() {
    return tpm;
  }

  /** Requests open at once; 0 = no limit. */
  public int maxConcurrent() {
    return maxConcurrent;
  }

  public boolean limited() {
    return rpm > 0 || tpm > 0 || maxConcurrent > 0;
  }

  /** Hex SHA-256 of the key: its identity in the limit stores. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return "key '" + name + "'";
  }
}
