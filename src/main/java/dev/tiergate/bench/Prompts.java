package dev.tiergate.bench;

import io.vertx.core.json.Json;

import java.util.SplittableRandom;

/**
 * Prompts of known size. Long prompts are varied pseudo-prose (so tokenizers see ordinary text, about four
 * characters per token) and every prompt starts with a random salt so no prefix cache can answer it.
 */
public final class Prompts {
  /** Characters per token assumed when sizing prompts; real tokenizers land near this on English prose. */
  public static final double CHARS_PER_TOKEN = 4.0;

  private static final String[] WORDS = (
      "the of and a to in is was that for on with as by at from his her they this which were are be had "
      + "river harbour engine signal winter lantern market ledger copper valley orchard bridge station "
      + "measured quietly between under against through before after during while although because "
      + "keeper merchant surveyor pilot weaver clerk archivist captain mason baker gardener "
      + "carried opened counted painted followed repaired described noticed remembered gathered "
      + "northern narrow ancient broken patient careful distant silver heavy bright").split(" ");

  public static final String PROSE = "Write a long, detailed story about a lighthouse keeper who finds an old "
      + "logbook describing storms that have not happened yet. Use vivid description and several scenes.";
  public static final String CODE = "Write a complete Python module implementing a thread-safe LRU cache with "
      + "time-based expiry, type hints, docstrings, and a pytest test suite covering eviction and expiry.";
  public static final String SHORT = "Reply with one short sentence: what is a lighthouse for?";

  private Prompts() {}

  /** A fresh random salt; one per request. */
  public static String salt(SplittableRandom random) {
    return "[session " + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()) + "] ";
  }

  /** About {@code tokens} tokens of text (by the 4-chars rule), salted, ending with a question. */
  public static String longPrompt(int tokens, SplittableRandom random) {
    int chars = (int) Math.max(16, tokens * CHARS_PER_TOKEN) - 8; // leave room for the chat template
    String ask = "\nSummarize the text above in one sentence.";
    String salt = salt(random);
    String body = prose(chars - ask.length() - salt.length(), random);
    return salt + body + ask;
  }

  /** Exactly {@code chars} characters (none when 0 or less) of sentence-shaped pseudo-prose, no salt. */
  public static String prose(int chars, SplittableRandom random) {
    StringBuilder sb = new StringBuilder(Math.max(0, chars) + 32);
    SplittableRandom words = new SplittableRandom(random.nextLong());
    int sentence = 0;
    while (sb.length() < chars) {
      String w = WORDS[words.nextInt(WORDS.length)];
      sb.append(sentence == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
      sentence++;
      if (sentence > 8 + words.nextInt(10)) {
        sb.append(". ");
        sentence = 0;
      } else {
        sb.append(' ');
      }
    }
    sb.setLength(Math.max(0, chars));
    return sb.toString();
  }

  /** A chat request body, streamed with usage. */
  public static String chatBody(String model, String userText, int maxTokens) {
    StringBuilder sb = new StringBuilder(userText.length() + 200);
    sb.append("{\"model\":");
    quote(sb, model);
    sb.append(",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0,\"max_tokens\":")
        .append(maxTokens).append(",\"messages\":[{\"role\":\"user\",\"content\":");
    quote(sb, userText);
    return sb.append("}]}").toString();
  }

  /** A JSON string literal, by the same encoder the rest of the stack uses. */
  static void quote(StringBuilder sb, String s) {
    sb.append(Json.encode(s));
  }
}
