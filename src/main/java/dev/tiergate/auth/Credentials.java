package dev.tiergate.auth;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;

/**
 * Takes the key out of a request head: {@code Authorization: Bearer <key>} (every OpenAI SDK) or
 * {@code x-api-key: <key>}. A key in the query string is never read: URLs end up in proxy and
 * access logs. Error messages say what was wrong with the header, never what it contained.
 */
final class Credentials {
  private Credentials() {}

  /** The presented key; throws 401 when there is none or the header is malformed. */
  static String key(String authorization, String apiKey, String query) {
    if (authorization != null) {
      return bearer(authorization.trim());
    }
    if (apiKey != null) {
      String k = apiKey.trim();
      if (k.isEmpty()) {
        throw unauthorized("The x-api-key header is empty. Send your gateway key as Authorization: Bearer <key> or x-api-key: <key>.");
      }
      return k;
    }
    if (query != null && query.toLowerCase(java.util.Locale.ROOT).contains("key=")) {
      throw unauthorized("A key in the URL is not accepted (URLs are written to logs). Send it as Authorization: Bearer <key>"
          + " or x-api-key: <key>.");
    }
    throw unauthorized("You didn't provide an API key. Send your gateway key as Authorization: Bearer <key>"
        + " (OPENAI_API_KEY in the OpenAI SDKs) or x-api-key: <key>.");
  }

  private static String bearer(String header) {
    int space = firstSpace(header);
    if (space < 0 && header.equalsIgnoreCase("Bearer")) {
      throw unauthorized("Malformed Authorization header: Bearer and no key after it.");
    }
    if (space < 0) {
      throw unauthorized(header.isEmpty() ? "The Authorization header is empty. Send Authorization: Bearer <key>."
          : "The Authorization header has no scheme. Send Authorization: Bearer <key>.");
    }
    String scheme = header.substring(0, space);
    if (!scheme.equalsIgnoreCase("Bearer")) {
      // The scheme is a word the client chose, bounded and shown; the credentials after it are not.
      String shown = scheme.length() <= 20 && scheme.chars().allMatch(Character::isLetterOrDigit) ? "'" + scheme + "' " : "";
      throw unauthorized("The Authorization scheme " + shown + "is not accepted. Send Authorization: Bearer <key>.");
    }
    String key = header.substring(space).trim();
    if (key.isEmpty() || firstSpace(key) >= 0) {
      throw unauthorized("Malformed Authorization header: expected Bearer followed by one key.");
    }
    return key;
  }

  private static int firstSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  static GatewayError unauthorized(String message) {
    return GatewayError.of(Kind.UNAUTHORIZED, message);
  }
}
