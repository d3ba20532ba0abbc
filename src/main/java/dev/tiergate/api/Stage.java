package dev.tiergate.api;

import io.vertx.core.Future;

/**
 * One step of a request's path (read, authenticate, parse, limit, route, admit, call). A stage either
 * passes the exchange on (a succeeded future) or ends it with a {@code GatewayError} (a failed
 * future or a throw). Stages that finish at once return {@link Future#succeededFuture()}, which
 * allocates nothing, so a synchronous stage costs only its own work.
 */
interface Stage {
  Future<Void> apply(Exchange x);
}
