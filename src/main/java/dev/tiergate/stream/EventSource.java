package dev.tiergate.stream;

import io.vertx.core.streams.ReadStream;

/** Upstream events that can also be torn down at once: what a relay reads from. */
public interface EventSource extends ReadStream<SseEvent>, Cancellable {}
