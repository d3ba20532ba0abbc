package dev.tiergate.metrics;

/** Why a request was refused for its key, as the fixed values of the {@code reason} label. */
public enum KeyRejection {
  /** No key, a malformed header, or a key that is not configured. */
  UNAUTHORIZED("unauthorized"),
  /** The client asked for a tier its key may not use. */
  FORBIDDEN_TIER("forbidden_tier"),
  /** A user key on an admin-only endpoint. */
  PERMISSION_DENIED("permission_denied"),
  /** Over the key's RPM, TPM or concurrency. */
  RATE_LIMITED("rate_limited");

  public final String label;

  KeyRejection(String label) {
    this.label = label;
  }
}
