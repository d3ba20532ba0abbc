package dev.tiergate.bench;

import java.util.Map;

/**
 * One request of a mixed workload, fixed before the run so every configuration gets the same bytes at the same time.
 *
 * @param atMs when to send it, from the start of the run
 * @param promptTokens the prompt's size by the 4-characters rule (what the gateway and the sims estimate)
 * @param session the agent conversation it belongs to (0 for the other classes)
 * @param turn the turn within that conversation, from 1 (0 for the other classes)
 */
public record MixRequest(int index, MixClass kind, long atMs, int promptTokens, int maxTokens, int session, int turn,
    String body, Map<String, String> headers) {}
