package dev.tiergate.auth;

/**
 * One request's place in its key's limits: whether it may start, what the key has left (for
 * OpenAI's {@code x-ratelimit-*} headers), and, when admitted, the slot and tokens it holds until
 * {@link #finish}. Used on the request's event loop only.
 */
public final class Admission {
  /** A key with no limits: nothing to count, nothing to say. */
  static final Admission UNLIMITED = new Admission(null, null, 0, 0, -1, 0, 0, -1, 0, 0, null, null);

  private final Principal principal;
  private final Reason refused;
  private final long retryAfterMs;
  private final long remainingRequests;
  private final long resetRequestsMs;
  private final long remainingTokens;
  private final long resetTokensMs;
  private final long charged;
  private final LimitStore store;
  private final String lease;
  final long limitRequests;
  final long limitTokens;
  private boolean finished;

  Admission(Principal p, Reason refused, long retryAfterMs, long limitRequests, long remainingRequests, long resetRequestsMs,
      long limitTokens, long remainingTokens, long resetTokensMs, long charged, LimitStore store, String lease) {
    this.principal = p;
    this.refused = refused;
    this.retryAfterMs = retryAfterMs;
    this.limitRequests = limitRequests;
    this.remainingRequests = remainingRequests;
    this.resetRequestsMs = resetRequestsMs;
    this.limitTokens = limitTokens;
    this.remainingTokens = remainingTokens;
    this.resetTokensMs = resetTokensMs;
    this.charged = charged;
    this.store = store;
    this.lease = lease;
    this.finished = refused != null || store == null;
  }

  /** Which limit refused the request, or null when it may start. */
  public Reason refused() {
    return refused;
  }

  public boolean admitted() {
    return refused == null;
  }

  /** When a retry may succeed, for {@code Retry-After}. */
  public long retryAfterMs() {
    return retryAfterMs;
  }

  /** The key's RPM, 0 when it has none (then the request headers are left out). */
  public long limitRequests() {
    return limitRequests;
  }

  public long remainingRequests() {
    return remainingRequests;
  }

  /** Until the request budget is full again. */
  public long resetRequestsMs() {
    return resetRequestsMs;
  }

  /** The key's TPM, 0 when it has none. */
  public long limitTokens() {
    return limitTokens;
  }

  public long remainingTokens() {
    return remainingTokens;
  }

  public long resetTokensMs() {
    return resetTokensMs;
  }

  /** Tokens charged at admission (the prompt estimate). */
  public long charged() {
    return charged;
  }

  String lease() {
    return lease;
  }

  Principal principal() {
    return principal;
  }

  /**
   * The request ended: its concurrency slot goes back and its tokens are corrected to what the
   * engine reported ({@code actualTokens}, or -1 to keep the estimate). Only the first call counts.
   */
  public void finish(long actualTokens) {
    if (finished) {
      return;
    }
    finished = true;
    store.release(this, actualTokens < 0 ? 0 : actualTokens - charged);
  }

  /** The limit that refused a request, as the {@code reason} words of errors and metrics. */
  public enum Reason {
    REQUESTS("requests per minute (rpm)"),
    TOKENS("tokens per minute (tpm)"),
    TOO_LARGE("tokens per minute (tpm)"),
    CONCURRENCY("requests at once (maxConcurrent)");

    public final String limit;

    Reason(String limit) {
      this.limit = limit;
    }

    static Reason of(int code) {
      return switch (code) {
        case 1 -> REQUESTS;
        case 2 -> TOKENS;
        case 3 -> CONCURRENCY;
        case 4 -> TOO_LARGE;
        default -> null;
      };
    }
  }
}
