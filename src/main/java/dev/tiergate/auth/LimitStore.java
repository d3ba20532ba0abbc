package dev.tiergate.auth;

import io.vertx.core.Future;

/** Where a key's counts live: this process, or a Redis the replicas share. */
interface LimitStore {
  /** Charges one request and {@code tokens} to the key when every limit allows it; otherwise says which refused. */
  Future<Admission> acquire(Principal p, long tokens);

  /** Gives back an admitted request's slot and adds {@code tokenDelta} (negative: a refund) to its key's tokens. */
  void release(Admission a, long tokenDelta);
}
