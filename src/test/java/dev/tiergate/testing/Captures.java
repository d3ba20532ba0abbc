package dev.tiergate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The real llama.cpp exchanges in {@code src/test/resources/engine-transcripts/llamacpp/}: status, headers, body. */
public final class Captures {
  private Captures() {}

  /** One captured response. */
  public record Capture(int status, String head, String body) {}

  public static Capture load(String name) {
    String path = "/engine-transcripts/llamacpp/" + name + ".txt";
    try (InputStream in = Captures.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int split = all.indexOf("\r\n\r\n");
      String head = all.substring(0, split);
      int status = Integer.parseInt(head.substring(9, 12));
      return new Capture(status, head, all.substring(split + 4));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON body of the request that was sent for a capture (after its blank line). */
  public static String request(String name) {
    String path = "/engine-transcripts/llamacpp/" + name + ".request.txt";
    try (InputStream in = Captures.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
      return all.substring(all.indexOf("\n\n") + 2).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
