package dev.tiergate.api;

import dev.tiergate.auth.Admission;
import io.vertx.core.http.HttpServerResponse;

/**
 * OpenAI's {@code x-ratelimit-*} headers, so the official SDKs (and the tools built on them) read
 * a key's budget as they read OpenAI's. A dimension the key has no limit on is left out.
 */
final class RateLimitHeaders {
  private RateLimitHeaders() {}

  static void put(HttpServerResponse resp, Admission a) {
    if (a.limitRequests() > 0) {
      resp.putHeader("x-ratelimit-limit-requests", Long.toString(a.limitRequests()))
          .putHeader("x-ratelimit-remaining-requests", Long.toString(a.remainingRequests()))
          .putHeader("x-ratelimit-reset-requests", duration(a.resetRequestsMs()));
    }
    if (a.limitTokens() > 0) {
      resp.putHeader("x-ratelimit-limit-tokens", Long.toString(a.limitTokens()))
          .putHeader("x-ratelimit-remaining-tokens", Long.toString(a.remainingTokens()))
          .putHeader("x-ratelimit-reset-tokens", duration(a.resetTokensMs()));
    }
  }

  /** A duration the way OpenAI (and Go) write it: {@code 0s}, {@code 20ms}, {@code 1.5s}, {@code 6m0s}, {@code 1h2m3s}. */
  static String duration(long ms) {
    if (ms <= 0) {
      return "0s";
    }
    if (ms < 1000) {
      return ms + "ms";
    }
    StringBuilder sb = new StringBuilder(12);
    long h = ms / 3_600_000;
    long m = ms / 60_000 % 60;
    long s = ms / 1000 % 60;
    long frac = ms % 1000;
    if (h > 0) {
      sb.append(h).append('h');
    }
    if (h > 0 || m > 0) {
      sb.append(m).append('m');
    }
    sb.append(s);
    if (frac > 0) {
      String f = String.format("%03d", frac);
      int end = f.length();
      while (f.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(f, 0, end);
    }
    return sb.append('s').toString();
  }
}
