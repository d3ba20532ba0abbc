package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tiergate.errors.GatewayError;
import java.io.IOException;
import java.util.Set;

/**
 * Type checks over a streaming Jackson parser, with errors that name the JSON path of the field,
 * the way OpenAI's API does ({@code messages[1].content[0].text}). Each check is called with the
 * current token of the value and leaves the parser on that value's last token.
 */
final class JsonWalk {
  static final int SAMPLE_ABOVE = 256;
  /** 1 for the ASCII symbols that make code and markup tokenize densely. */
  private static final int[] CODE = new int[128];

  static {
    for (char c : "{}[]()<>=;:_/\\|*&^%$#@~+`".toCharArray()) {
      CODE[c] = 1;
    }
  }

  final JsonParser p;
  /** Characters of text the model will read as prompt, summed as the walk goes. */
  long textChars;
  /** Of those, characters of CJK scripts and code-like symbols (rendered JSON included); the rest is prose. */
  long cjkChars;
  long codeChars;
  /** Images, audio, files: tokens the text does not predict, so such a request teaches the estimate nothing. */
  boolean media;

  JsonWalk(JsonParser p) {
    this.p = p;
  }

  /**
   * Counts the current string as prompt text, by kind. Strings longer than {@link #SAMPLE_ABOVE}
   * characters are classified from every third character: the mix, not each character, is what the
   * estimate needs, and a 200k-token conversation should cost one pass, not two.
   */
  void text() throws IOException {
    int len = p.getTextLength();
    textChars += len;
    char[] buf = p.getTextCharacters();
    int off = p.getTextOffset();
    int step = len > SAMPLE_ABOVE ? 3 : 1;
    int cjk = 0;
    int code = 0;
    int seen = 0;
    for (int i = off, end = off + len; i < end; i += step) {
      char c = buf[i];
      seen++;
      if (c < 128) {
        code += CODE[c];
      } else if (cjk(c)) {
        cjk++;
      }
    }
    if (seen > 0 && (cjk | code) != 0) {
      cjkChars += step == 1 ? cjk : (long) cjk * len / seen;
      codeChars += step == 1 ? code : (long) code * len / seen;
    }
  }

  /** Rendered JSON the model reads (tool schemas, tool inputs), counted by its raw size as code. */
  void raw(long chars) {
    textChars += chars;
    codeChars += chars;
  }

  /** CJK ideographs, kana, Hangul, fullwidth forms: about a token per character, not per four. */
  private static boolean cjk(char c) {
    return c >= 0x2E80 && c <= 0x9FFF || c >= 0xAC00 && c <= 0xD7AF || c >= 0xF900 && c <= 0xFAFF || c >= 0xFF00 && c <= 0xFFEF;
  }

  JsonToken next() throws IOException {
    return p.nextToken();
  }

  /** A string; its length counts as prompt text when {@code text} is set. */
  String string(String path, JsonToken t, boolean text) throws IOException {
    if (t != JsonToken.VALUE_STRING) {
      throw typeError(path, "a string", t);
    }
    if (text) {
      text();
    }
    return null;
  }

  /** Like {@link #string} but the value itself is needed (short fields only: roles, types, names). */
  String stringValue(String path, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_STRING) {
      throw typeError(path, "a string", t);
    }
    return p.getText();
  }

  void optionalString(String path, JsonToken t, boolean text) throws IOException {
    if (t != JsonToken.VALUE_NULL) {
      string(path, t, text);
    }
  }

  void optionalNumber(String path, JsonToken t) {
    if (t != JsonToken.VALUE_NULL && t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
      throw typeError(path, "a number", t);
    }
  }

  void optionalInteger(String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw typeError(path, "an integer", t);
    }
  }

  boolean optionalBool(String path, JsonToken t) {
    if (t == JsonToken.VALUE_NULL) {
      return false;
    }
    if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
      throw typeError(path, "a boolean", t);
    }
    return t == JsonToken.VALUE_TRUE;
  }

  /** A positive 32-bit integer, or -1 for null. */
  int optionalCount(String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return -1;
    }
    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT || p.getIntValue() < 1) {
      throw GatewayError.invalid("Invalid value for '" + path + "': expected a positive integer.", path);
    }
    return p.getIntValue();
  }

  /** One of a fixed set of strings (a role, a tool choice mode, a format type). */
  String oneOf(String path, JsonToken t, Set<String> allowed, String listed) throws IOException {
    if (t != JsonToken.VALUE_STRING) {
      throw typeError(path, "one of " + listed, t);
    }
    String v = p.getText();
    if (!allowed.contains(v)) {
      throw GatewayError.invalid("Invalid value for '" + path + "': '" + abbreviate(v) + "'. Supported values are: " + listed + ".",
          path);
    }
    return v;
  }

  /** Walks one object of an array, found at {@code at}. */
  interface Element {
    void walk(JsonWalk w, String at) throws IOException;
  }

  /**
   * A string, or an array of objects each walked by {@code each}: the shape of message content in the
   * Messages and Responses APIs (text, or blocks/parts).
   */
  void textOrObjects(String path, JsonToken t, String expected, Element each) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      text();
      return;
    }
    if (t != JsonToken.START_ARRAY) {
      throw typeError(path, expected, t);
    }
    int i = 0;
    JsonToken e;
    while ((e = next()) != JsonToken.END_ARRAY) {
      String at = path + "[" + i++ + "]";
      object(at, e);
      each.walk(this, at);
    }
  }

  void object(String path, JsonToken t) {
    if (t != JsonToken.START_OBJECT) {
      throw typeError(path, "an object", t);
    }
  }

  void array(String path, JsonToken t) {
    if (t != JsonToken.START_ARRAY) {
      throw typeError(path, "an array", t);
    }
  }

  /** Null, a string, or an array of strings ({@code stop}). */
  void stringOrStrings(String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL || t == JsonToken.VALUE_STRING) {
      return;
    }
    if (t != JsonToken.START_ARRAY) {
      throw typeError(path, "a string or an array of strings", t);
    }
    int i = 0;
    JsonToken e;
    while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
      string(path + "[" + i++ + "]", e, false);
    }
  }

  /** An object whose values are all numbers ({@code logit_bias}). */
  void numberMap(String path, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return;
    }
    object(path, t);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String k = p.currentName();
      optionalNumber(path + "." + k, p.nextToken());
    }
  }

  /** Skips the current value, counting the text of every string in it (fields we do not model). */
  void countStrings() throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_STRING) {
      text();
      return;
    }
    if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
      return;
    }
    int depth = 1;
    while (depth > 0) {
      JsonToken n = p.nextToken();
      if (n == null) {
        return;
      }
      switch (n) {
        case START_OBJECT, START_ARRAY -> depth++;
        case END_OBJECT, END_ARRAY -> depth--;
        case VALUE_STRING -> text();
        default -> { }
      }
    }
  }

  void skip() throws IOException {
    p.skipChildren();
  }

  static GatewayError typeError(String path, String expected, JsonToken got) {
    return GatewayError.invalid("Invalid type for '" + path + "': expected " + expected + ", but got " + describe(got) + ".", path);
  }

  static GatewayError missing(String path) {
    return GatewayError.invalid("Missing required parameter: '" + path + "'.", path);
  }

  static String describe(JsonToken t) {
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_ARRAY -> "an array";
      case START_OBJECT -> "an object";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.asString();
    };
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
