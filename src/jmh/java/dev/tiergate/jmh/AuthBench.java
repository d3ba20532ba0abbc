package dev.tiergate.jmh;

import dev.tiergate.auth.Admission;
import dev.tiergate.auth.Keys;
import dev.tiergate.auth.LimitEvents;
import dev.tiergate.auth.Limits;
import dev.tiergate.auth.Principal;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What keys and local limits add to one request: the header's key hashed and found among
 * {@code keys} configured keys, then RPM, TPM and concurrency admitted and given back with the
 * engine's token count (the AuthStage + LimitStage + end-of-request work, without HTTP).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AuthBench {
  static final String KEY = "bench-key-0123456789abcdef0123456789";

  @Param({"3", "1000"})
  int keys;

  Vertx vertx;
  Keys keyRing;
  Limits limits;
  String header;
  String unknown;

  @Setup(Level.Trial)
  public void setup() {
    StringBuilder yaml = new StringBuilder("""
        routing: { defaultTier: fast }
        tiers:
          - name: fast
            backends: [{ name: f1, url: "http://127.0.0.1:8010", engine: vllm }]
        auth:
          keys:
            # Limits no benchmark run can reach: each op is admitted, so the common path is measured.
            - { name: bench, key: "%s", rpm: 2000000000, tpm: 2000000000000, maxConcurrent: 1000000 }
        """.formatted(KEY));
    for (int i = 1; i < keys; i++) {
      yaml.append("    - { name: k").append(i).append(", key: \"other-key-").append(i).append("-0123456789abcdef\", rpm: 60 }\n");
    }
    GatewayConfig config = ConfigLoader.withEnv(Map.of()).parse("bench", yaml.toString());
    vertx = Vertx.vertx();
    keyRing = new Keys(config, ConfigLoader.withEnv(Map.of()));
    limits = Limits.create(vertx, config, LimitEvents.NONE);
    header = "Bearer " + KEY;
    unknown = "Bearer not-a-key-0123456789abcdef0123";
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vertx.close();
  }

  /** Authenticate, admit (prompt estimate 120), finish with the engine's 130 prompt + 40 completion tokens. */
  @Benchmark
  public Admission authenticateAndLimit() {
    Principal p = keyRing.authenticate(header, null, null);
    Admission a = limits.acquire(p, 120).result();
    a.finish(170);
    return a;
  }

  /** Only the key lookup: SHA-256 of the header's key and the constant-time compare. */
  @Benchmark
  public Principal authenticateOnly() {
    return keyRing.authenticate(header, null, null);
  }

  /** An unknown key (the 401 path, up to the exception it throws). */
  @Benchmark
  public Object unknownKey() {
    try {
      return keyRing.authenticate(unknown, null, null);
    } catch (RuntimeException e) {
      return e;
    }
  }
}
