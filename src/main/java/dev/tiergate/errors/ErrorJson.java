package dev.tiergate.errors;

/** Renders errors in OpenAI's envelope without a JSON library on the hot path. */
public final class ErrorJson {
  private ErrorJson() {}

  public static String body(GatewayError e) {
    return body(e.getMessage(), e.type(), e.param(), e.code());
  }

  public static String body(String message, String type, String param, String code) {
    StringBuilder sb = new StringBuilder(96 + (message == null ? 0 : message.length()));
    sb.append("{\"error\":{\"message\":");
    quote(sb, message == null ? "" : message);
    sb.append(",\"type\":");
    quote(sb, type);
    sb.append(",\"param\":");
    quote(sb, param);
    sb.append(",\"code\":");
    quote(sb, code);
    return sb.append("}}").toString();
  }

  /** The same error as one SSE event, for failures after the stream has started. */
  public static String sseEvent(GatewayError e) {
    return "data: " + body(e) + "\n\n";
  }

  public static void quote(StringBuilder sb, String s) {
    if (s == null) {
      sb.append("null");
      return;
    }
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
