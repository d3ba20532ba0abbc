package dev.tiergate.routing;

/**
 * What a prompt is made of, as far as token counts go: characters of prose (Latin and other
 * alphabetic scripts), of CJK scripts (about one token per character, where prose takes four), of
 * code-like symbols and rendered JSON (tool schemas and inputs), and the tokens that are known
 * without any ratio (token ids sent as such, the chat template's per-message overhead).
 *
 * @param media the request carries images, audio or documents, whose tokens text does not predict
 */
public record TextMix(long prose, long cjk, long code, long fixedTokens, boolean media) {
  public static final TextMix EMPTY = new TextMix(0, 0, 0, 0, false);

  public long chars() {
    return prose + cjk + code;
  }
}
