package dev.tiergate.upstream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Operator-facing log lines from the request path, at most one per backend and problem a minute. */
final class Log {
  private static final System.Logger LOG = System.getLogger("dev.tiergate.upstream");
  private static final long EVERY_NANOS = 60_000_000_000L;
  private static final Map<String, Long> LAST = new ConcurrentHashMap<>();

  private Log() {}

  static void credentialsRefused(String backend, int status) {
    if (due("auth:" + backend)) {
      LOG.log(System.Logger.Level.ERROR, "backend {0} refused the gateway''s credentials (HTTP {1}): check its apiKey"
          + " against the key the engine was started with; requests fail over meanwhile", backend, status);
    }
  }

  private static boolean due(String key) {
    long now = System.nanoTime();
    Long last = LAST.get(key);
    if (last != null && now - last < EVERY_NANOS) {
      return false;
    }
    LAST.put(key, now);
    return true;
  }
}
