package dev.tiergate.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Locale;

/** Command line of {@code tiergate sim}: flags map one to one onto {@link SimOptions}. */
public final class SimCli {
  private SimCli() {
  }

  /**
   * Parses the flags and starts a server. A bad flag fails the future with an IllegalArgumentException naming
   * it; {@code --help} prints {@link #usage()} and succeeds with a null server.
   */
  public static Future<SimServer> run(Vertx vertx, String[] args) {
    if (wantsHelp(args)) {
      System.out.println(usage());
      return Future.succeededFuture(null);
    }
    SimOptions options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return SimServer.start(vertx, options);
  }

  public static boolean wantsHelp(String[] args) {
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        return true;
      }
    }
    return false;
  }

  /** Flags accept both {@code --flag value} and {@code --flag=value}. */
  public static SimOptions parse(String[] args) {
    String engine = null;
    for (int i = 0; i < args.length; i++) {
      String[] kv = split(args, i);
      if (kv[1] == null && takesValue(kv[0]) && i + 1 < args.length && !args[i + 1].startsWith("--")) {
        kv[1] = args[++i];
      }
      if (kv[0].equals("--engine")) {
        engine = kv[1];
      }
    }
    if (engine == null) {
      throw new IllegalArgumentException("--engine is required (vllm, sglang, llamacpp or ikllama)");
    }
    SimOptions o;
    try {
      o = SimOptions.defaults(Engine.parse(engine).cliName);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--engine: " + e.getMessage(), e);
    }
    for (int i = 0; i < args.length; i++) {
      String[] kv = split(args, i);
      String flag = kv[0];
      if (kv[1] == null && takesValue(flag)) {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        kv[1] = args[++i];
      }
      try {
        o = apply(o, flag, kv[1]);
      } catch (IllegalArgumentException e) {
        if (e.getMessage() != null && e.getMessage().startsWith(flag)) {
          throw e;
        }
        throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
      }
    }
    return o;
  }

  private static SimOptions apply(SimOptions o, String flag, String v) {
    return switch (flag) {
      case "--engine" -> o;
      case "--host" -> o.withHost(v);
      case "--port" -> o.withPort(intValue(flag, v));
      case "--model" -> o.withModel(v);
      case "--context" -> o.withContextWindow(intValue(flag, v));
      case "--prefill-tps" -> o.withPrefillTps(doubleValue(flag, v));
      case "--prefill-half-rate-tokens" -> o.withPrefillHalfRateTokens(intValue(flag, v));
      case "--ttft-base-ms" -> o.withTtftBaseMs(doubleValue(flag, v));
      case "--decode-tps" -> o.withDecodeTps(doubleValue(flag, v));
      case "--flat-batching" -> o.withDenseBatching(!boolValue(flag, v));
      case "--reasoning-tokens" -> o.withReasoningTokens(intValue(flag, v));
      case "--loading-seconds" -> o.withLoadingSeconds(doubleValue(flag, v));
      case "--fault" -> o.withFault(v);
      case "--stamp-events" -> o.withStampEvents(boolValue(flag, v));
      case "--chars-per-token" -> o.withCharsPerToken(doubleValue(flag, v));
      case "--default-max-tokens" -> o.withDefaultMaxTokens(intValue(flag, v));
      case "--step-tokens" -> o.withStepTokens(intValue(flag, v));
      case "--max-running" -> o.withMaxRunning(intValue(flag, v));
      case "--role-delay-ms" -> o.withRoleDelayMs(doubleValue(flag, v));
      case "--embeddings" -> o.withPooling(boolValue(flag, v));
      case "--loops" -> o.withLoops(intValue(flag, v));
      case "--profile" -> Profiles.apply(v, o);
      case "--sleep-ms" -> o.withSleep(new SleepModel(doubleValue(flag, v), o.sleep().wakeMs(), o.sleep().corruptAfterWake()));
      case "--wake-ms" -> o.withSleep(new SleepModel(o.sleep().sleepMs(), doubleValue(flag, v), o.sleep().corruptAfterWake()));
      case "--corrupt-after-wake" -> o.withSleep(new SleepModel(o.sleep().sleepMs(), o.sleep().wakeMs(), boolValue(flag, v)));
      default -> throw new IllegalArgumentException(flag + " is not a sim flag (see --help)");
    };
  }

  private static boolean takesValue(String flag) {
    return !flag.equals("--flat-batching") && !flag.equals("--stamp-events") && !flag.equals("--corrupt-after-wake")
        && !flag.equals("--embeddings")
        && flag.startsWith("--")
        && !flag.equals("--help");
  }

  private static String[] split(String[] args, int i) {
    String a = args[i];
    int eq = a.indexOf('=');
    if (a.startsWith("--") && eq > 0) {
      return new String[] {a.substring(0, eq), a.substring(eq + 1)};
    }
    if (!a.startsWith("--")) {
      throw new IllegalArgumentException("unexpected argument '" + a + "' (flags start with --)");
    }
    return new String[] {a, null};
  }

  private static int intValue(String flag, String v) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " expects an integer, got '" + v + "'");
    }
  }

  private static double doubleValue(String flag, String v) {
    try {
      double d = Double.parseDouble(v.trim());
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " expects a number, got '" + v + "'");
    }
  }

  /** Switch flags take no value, but {@code --stamp-events=false} is accepted for scripts. */
  private static boolean boolValue(String flag, String v) {
    if (v == null) {
      return true;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException(flag + " expects true or false, got '" + v + "'");
    };
  }

  public static String usage() {
    return """
        usage: tiergate sim --engine vllm|sglang|llamacpp|ikllama [options]
          --host H                       bind address (default 127.0.0.1)
          --port N                       port, 0 = ephemeral (default 0)
          --model NAME                   served model name (default qwen3.6-27b)
          --context N                    context window in tokens (default 262144)
          --prefill-tps X                prompt tokens/s at short prompts (default 2000)
          --prefill-half-rate-tokens N   prompt length at which prefill speed halves, 0 = constant (default 80000)
          --ttft-base-ms X               fixed part of time to first token (default 120)
          --decode-tps X                 tokens/s of one stream decoding alone (default 70)
          --flat-batching                every stream decodes at --decode-tps (default: dense model, peak at 2)
          --reasoning-tokens N           reasoning tokens before the answer (default 0)
          --loading-seconds X            behave like a loading engine for the first X seconds (default 0)
          --fault NAME                   fault for every request: error-500, error-503, stall-first, stall-mid,
                                         drop-mid, no-done, error-mid (default none)
          --stamp-events                 add "sim_ts_us" (epoch microseconds) to every streamed chunk
          --chars-per-token X            prompt tokens = ceil(chars / X) (default 4.0)
          --default-max-tokens N         output tokens when the request sets no limit (default 256)
          --step-tokens N                tokens one engine step carries, decodes first, then prompt chunks, so a
                                         long prompt slows every decode; 0 = requests never slow each other
                                         (default: vllm 2048 max_num_batched_tokens, sglang 2048
                                         chunked_prefill_size, llamacpp and ikllama 2048 -b)
          --max-running N                sequences running at once, later ones wait in arrival order (default:
                                         vllm 256 max_num_seqs, sglang 2048 max_running_requests, llamacpp 4 -np
                                         slots, ikllama 1)
          --role-delay-ms X              chat streams send the role chunk at once, the first token X ms later
                                         (default 0: role chunk right before the first token)
          --profile fast|max|prefill     the demo's calibration of that tier (seed rig measurements)
          --sleep-ms X / --wake-ms X      how long the engine's own sleep and wake take (default 1000 / 2000);
                                         vLLM: POST /sleep?level=N, /wake_up, GET /is_sleeping; SGLang:
                                         /release_memory_occupation, /resume_memory_occupation; llama.cpp:
                                         /models/unload, /models/load. Generation requests wait while asleep
          --corrupt-after-wake           every wake shifts the generated words (the canary must notice)
          --embeddings                   serve /v1/embeddings and /v1/rerank (a pooling model; llama.cpp
                                         --embeddings --reranking); without it they answer "not supported"
          --loops N                      event loops that serve HTTP and write the streams, 0 = one per core
                                         (default 0); the engine's step scheduler runs on a context of its own
          --help                         print this text
        per-request headers: x-sim-fault, x-sim-fault-after (default 3), x-sim-decode-tps, x-sim-role-delay-ms,
                             x-sim-tool-call: true, x-sim-output-tokens (stop naturally after N tokens)
        load signals: GET /metrics (every engine), GET /slots (llamacpp, ikllama)
        APIs: chat and completions everywhere; /v1/responses and /v1/messages (+ count_tokens) on vllm, sglang and
              llamacpp; llamacpp also /v1/responses/input_tokens and /v1/chat/completions/input_tokens""";
  }
}
