package dev.tiergate.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tiergate.upstream.RequestBody;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A Messages request's {@code stop_sequences}, read from its recorded byte span without parsing the rest. */
final class StopSequences {
  private static final JsonFactory JSON = new JsonFactory();

  private StopSequences() {}

  static List<String> of(RequestBody body) {
    List<String> out = new ArrayList<>();
    RequestBody.Field f = body == null ? null : body.field("stop_sequences");
    if (f == null) {
      return out;
    }
    byte[] a = body.bytes().getBytes(f.valueStart(), f.valueEnd());
    try (JsonParser p = JSON.createParser(a)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.VALUE_STRING) {
        out.add(p.getText());
      } else if (t == JsonToken.START_ARRAY) {
        while (p.nextToken() == JsonToken.VALUE_STRING) {
          out.add(p.getText());
        }
      }
    } catch (IOException e) {
      // validated before: cannot happen; without stop sequences a stop reads as an end of turn
    }
    return out;
  }
}
