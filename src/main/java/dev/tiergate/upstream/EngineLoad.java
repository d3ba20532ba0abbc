package dev.tiergate.upstream;

/**
 * What an engine said about its own load on its last scrape: requests running and waiting (-1 when
 * it does not say), and a counter that grows with every token it generates (-1 when it has none),
 * which tells a saturated engine (the counter moves) from a wedged one (it does not).
 */
public record EngineLoad(int running, int waiting, double generatedTokens, long atNanos) {}
