package dev.tiergate.metrics;

import dev.tiergate.stream.StreamOutcome;

/** The fixed vocabulary of the {@code outcome} label. */
enum Outcome {
  OK("ok"),
  CLIENT_ERROR("client_error"),
  UPSTREAM_ERROR("upstream_error"),
  TIMEOUT("timeout"),
  CANCELLED("cancelled"),
  REJECTED("rejected");

  final String label;

  Outcome(String label) {
    this.label = label;
  }

  static Outcome of(StreamOutcome o) {
    return switch (o) {
      case OK -> OK;
      case UPSTREAM_ERROR -> UPSTREAM_ERROR;
      case TIMEOUT -> TIMEOUT;
      case CANCELLED -> CANCELLED;
      // Like a request refused while draining: the gateway's doing, not the client's or the engine's.
      case SHUT_DOWN -> REJECTED;
    };
  }

  /** Maps the callers' words; anything unexpected is an upstream error rather than a new label value. */
  static Outcome of(String label) {
    for (Outcome o : values()) {
      if (o.label.equals(label)) {
        return o;
      }
    }
    return UPSTREAM_ERROR;
  }

  /** A relayed non-streamed response: the engine's 4xx is the client's doing, except overload and timeout. */
  static Outcome ofStatus(int status) {
    if (status >= 200 && status < 300) {
      return OK;
    }
    if (status >= 400 && status < 500 && status != 408 && status != 429) {
      return CLIENT_ERROR;
    }
    return status == 408 ? TIMEOUT : UPSTREAM_ERROR;
  }
}
