package dev.tiergate.jmh;

import dev.tiergate.api.Cors;
import dev.tiergate.config.CorsConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What CORS adds to each request while it is on: the Origin looked up and the response's headers
 * set (allow-origin, expose list, Vary). {@code responseOnly} is the floor: a fresh response header
 * map with the request id every response gets before CORS runs (it allocates the map's table).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CorsBench {
  Cors listed;
  Cors star;
  MultiMap fromPage;
  MultiMap fromOtherPage;
  MultiMap fromSdk;

  @Setup
  public void setup() {
    listed = Cors.of(new CorsConfig(List.of("https://chat.example.com", "http://localhost:5173"), null));
    star = Cors.of(new CorsConfig(List.of("*"), null));
    fromSdk = HttpHeaders.headers().add("host", "127.0.0.1:8080").add("content-type", "application/json")
        .add("authorization", "Bearer alice-key-0123456789abcdef").add("user-agent", "OpenAI/Python 1.99.0")
        .add("accept", "application/json").add("content-length", "183");
    fromPage = HttpHeaders.headers().addAll(fromSdk).add("origin", "https://chat.example.com");
    fromOtherPage = HttpHeaders.headers().addAll(fromSdk).add("origin", "https://elsewhere.example");
  }

  static MultiMap response() {
    return HttpHeaders.headers().set("x-tiergate-request-id", "5f0e3a9c1d2b4e67");
  }

  @Benchmark
  public MultiMap responseOnly() {
    return response();
  }

  @Benchmark
  public MultiMap listedOrigin() {
    MultiMap out = response();
    listed.mark(fromPage, out);
    return out;
  }

  @Benchmark
  public MultiMap otherOrigin() {
    MultiMap out = response();
    listed.mark(fromOtherPage, out);
    return out;
  }

  @Benchmark
  public MultiMap noOriginWithAList() {
    MultiMap out = response();
    listed.mark(fromSdk, out);
    return out;
  }

  @Benchmark
  public MultiMap anyOrigin() {
    MultiMap out = response();
    star.mark(fromPage, out);
    return out;
  }
}
