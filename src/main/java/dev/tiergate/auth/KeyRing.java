package dev.tiergate.auth;

import dev.tiergate.config.KeyConfig;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys in force, immutable (a reload builds a new ring). A presented key is hashed and looked
 * up by its digest's first eight bytes, then compared whole with {@link MessageDigest#isEqual}, a
 * constant-time comparison. The lookup's own timing depends only on the digest, and a digest tells
 * an attacker nothing about the key that would produce it, so no key leaks by timing, and a lookup
 * costs the same with three keys or three thousand.
 */
final class KeyRing {
  private final Map<Long, Principal[]> byPrefix = new HashMap<>();
  private final List<Principal> all;

  KeyRing(List<KeyConfig> keys) {
    this.all = keys.stream().map(Principal::new).toList();
    for (Principal p : all) {
      byPrefix.merge(prefix(p.digest), new Principal[] {p}, KeyRing::concat);
    }
  }

  /** The principal whose key has this SHA-256, or null. */
  Principal find(byte[] digest) {
    Principal[] candidates = byPrefix.get(prefix(digest));
    if (candidates == null) {
      return null;
    }
    Principal found = null;
    for (Principal p : candidates) {
      if (MessageDigest.isEqual(p.digest, digest)) {
        found = p;
      }
    }
    return found;
  }

  List<Principal> all() {
    return all;
  }

  int size() {
    return all.size();
  }

  private static long prefix(byte[] d) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (d[i] & 0xff);
    }
    return v;
  }

  private static Principal[] concat(Principal[] a, Principal[] b) {
    Principal[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
