package dev.tiergate.api;

import dev.tiergate.routing.TextMix;
import dev.tiergate.upstream.RequestBody;

/**
 * Everything the gateway needs to know about a request, taken from its body in one parse.
 *
 * @param model the client's model string, or null when absent
 * @param maxTokens the output budget asked for (max_completion_tokens, else max_tokens), -1 when none
 * @param promptTokens the estimate over the whole conversation
 * @param clientWantsUsage whether the client itself asked for the streamed usage event
 * @param mix what the prompt is made of, for the learned estimate ({@code promptTokens} is the configured ratio's)
 */
public record RequestFacts(
    Endpoint endpoint,
    String model,
    boolean stream,
    boolean clientWantsUsage,
    int maxTokens,
    int promptTokens,
    boolean hasTools,
    RequestBody body,
    TextMix mix) {

  public RequestFacts(Endpoint endpoint, String model, boolean stream, boolean clientWantsUsage, int maxTokens, int promptTokens,
      boolean hasTools, RequestBody body) {
    this(endpoint, model, stream, clientWantsUsage, maxTokens, promptTokens, hasTools, body, TextMix.EMPTY);
  }

  /** The same facts without the body, once it can no longer be resent (a long stream need not keep it). */
  RequestFacts withoutBody() {
    return new RequestFacts(endpoint, model, stream, clientWantsUsage, maxTokens, promptTokens, hasTools, null, mix);
  }

  /** The same facts with another estimate (the learned one). */
  RequestFacts withPromptTokens(int tokens) {
    return new RequestFacts(endpoint, model, stream, clientWantsUsage, maxTokens, tokens, hasTools, body, mix);
  }
}
