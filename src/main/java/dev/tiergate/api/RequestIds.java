package dev.tiergate.api;

import io.vertx.core.http.HttpServerRequest;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The id every response carries in {@code x-tiergate-request-id}, so a client's report can be found
 * in the operator's logs. A sane {@code x-request-id} from the client (or a proxy in front) is
 * kept, as Envoy and nginx do; otherwise a process salt plus a counter, unique and cheap.
 */
final class RequestIds {
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final long SALT = new SecureRandom().nextLong();
  private static final AtomicLong NEXT = new AtomicLong();

  private RequestIds() {}

  static String of(HttpServerRequest req) {
    String given = req.getHeader("x-request-id");
    if (given != null && CLIENT_ID.matcher(given).matches()) {
      return given;
    }
    return Long.toHexString(SALT ^ NEXT.incrementAndGet() * 0x9E3779B97F4A7C15L);
  }
}
