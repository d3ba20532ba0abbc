package dev.tiergate.testing;

import dev.tiergate.stream.SseEvent;
import dev.tiergate.stream.SseFramer;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One raw HTTP exchange captured from a real engine ({@code src/test/resources/engine-transcripts/},
 * see its README): what was sent ({@code NAME.request.txt}) and, byte for byte, what came back
 * ({@code NAME.txt}: status line, headers, and the body as curl wrote it, chunked framing removed).
 *
 * @param name e.g. {@code 06a_chat_stream_usage}
 * @param status the HTTP status the engine answered
 * @param headers the response headers, names lower-cased, in order
 * @param body the response body's exact bytes
 * @param requestMethod the request's method
 * @param requestPath the request's path, e.g. {@code /v1/chat/completions}
 * @param requestBody the request's body ("" when there was none)
 */
public record Transcript(String name, int status, Map<String, String> headers, byte[] body, String requestMethod,
    String requestPath, String requestBody) {

  /** Loads {@code llamacpp/NAME} from the test resources. */
  public static Transcript llamacpp(String name) {
    return load("llamacpp/" + name);
  }

  static Transcript load(String path) {
    byte[] raw = resource(path + ".txt");
    int split = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    int bodyStart = split + 4;
    int lf = indexOf(raw, "\n\n".getBytes(StandardCharsets.US_ASCII));
    if (split < 0 || (lf >= 0 && lf < split)) {
      split = lf;
      bodyStart = lf + 2;
    }
    String head = new String(raw, 0, split, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r?\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    byte[] body = Arrays.copyOfRange(raw, bodyStart, raw.length);
    String request = new String(resource(path + ".request.txt"), StandardCharsets.UTF_8);
    String[] first = request.lines().findFirst().orElseThrow().trim().split("\\s+");
    int blank = request.indexOf("\n\n");
    String requestBody = blank < 0 ? "" : request.substring(blank + 2).strip();
    String name = path.substring(path.lastIndexOf('/') + 1);
    return new Transcript(name, status, headers, body, first[0], URI.create(first[1]).getPath(), requestBody);
  }

  private static byte[] resource(String path) {
    try (InputStream in = Transcript.class.getResourceAsStream("/engine-transcripts/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no transcript resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int indexOf(byte[] a, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= a.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (a[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public boolean isStream() {
    String type = header("content-type");
    return type != null && type.startsWith("text/event-stream");
  }

  /** The body's {@code data:} payloads in order, as text ({@code [DONE]} included). */
  public List<String> data() {
    List<String> out = new ArrayList<>();
    for (SseEvent e : events()) {
      out.add(e.data().toString(StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The body framed into events by the gateway's own framer, in one chunk; a cut-off last event is dropped. */
  public List<SseEvent> events() {
    List<SseEvent> out = new ArrayList<>();
    new SseFramer(1 << 20).feed(Buffer.buffer(body), out::add);
    return out;
  }

  /**
   * The body's SSE events cut where the engine cut them: each event with its blank line, as the
   * replay server writes them one by one. A trailing partial event (a cut-off capture) is last.
   */
  public List<byte[]> rawEvents() {
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i + 1 < body.length; i++) {
      if (body[i] == '\n' && body[i + 1] == '\n') {
        out.add(Arrays.copyOfRange(body, start, i + 2));
        start = i + 2;
        i++;
      }
    }
    if (start < body.length) {
      out.add(Arrays.copyOfRange(body, start, body.length));
    }
    return out;
  }
}
