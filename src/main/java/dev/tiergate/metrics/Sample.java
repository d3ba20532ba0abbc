package dev.tiergate.metrics;

/**
 * What one finished request measured, in the units the meters use. Durations are nanoseconds and
 * -1 when not measured; rates are NaN when not measured; token counts are -1 when unknown.
 *
 * @param approximate the engine reported no token counts, so {@code completionTokens} is the
 *     number of output-bearing events relayed (a lower bound for engines that batch tokens per event)
 * @param promptEstimate the prompt tokens routing assumed, -1 when none was made
 */
record Sample(
    String endpoint,
    String tier,
    String backend,
    Outcome outcome,
    long durationNanos,
    long overheadNanos,
    long ttftNanos,
    long upstreamTtftNanos,
    long firstAnswerNanos,
    int outputEvents,
    long promptTokens,
    long cachedTokens,
    long completionTokens,
    boolean approximate,
    double decodeTps,
    double prefillTps,
    double engineDecodeTps,
    double enginePrefillTps,
    long promptEstimate) {}
