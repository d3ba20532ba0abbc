package dev.tiergate.config;

import java.util.List;
import java.util.Map;

/**
 * How tiergate starts and stops one tier's engine: a process it owns, a pair of commands it runs,
 * or a call to an HTTP control service. Exactly one of the three is set. Everything here comes
 * from the config file alone; nothing from a request ever reaches a command line or a control call.
 *
 * @param readyTimeoutMs how long a start may take until the engine's own ready signal (default 10 min)
 */
public record LifecycleConfig(Process process, Commands commands, Http http, Long readyTimeoutMs, Warm warm) {
  public LifecycleConfig {
    readyTimeoutMs = readyTimeoutMs == null ? 600_000L : readyTimeoutMs;
  }

  /**
   * Warm swaps: the engine is started once and then put to sleep and woken instead of stopped and
   * started (vLLM sleep mode, SGLang memory release, llama.cpp router unload/load). A wake is only
   * trusted after the engine says it is awake, lists its model, and answers a temperature-0
   * {@code canary} exactly as it did at first boot; anything else falls back to a cold restart.
   *
   * @param engine whose sleep API to use (vllm, sglang or llamacpp)
   * @param level vLLM's sleep level: 1 keeps the weights in host RAM, 2 drops them
   * @param drain what to do when the tier's requests outlive the group's drainMs: {@code cut} them
   *     (then sleep), or {@code wait} for them — an engine is never put to sleep with requests in flight
   */
  public record Warm(Engine engine, Integer level, Long sleepTimeoutMs, Long wakeTimeoutMs, Canary canary, String drain) {
    public Warm {
      level = level == null ? 1 : level;
      sleepTimeoutMs = sleepTimeoutMs == null ? 60_000L : sleepTimeoutMs;
      wakeTimeoutMs = wakeTimeoutMs == null ? 120_000L : wakeTimeoutMs;
      canary = canary == null ? new Canary(null, null) : canary;
      drain = drain == null ? "cut" : drain;
    }
  }

  /** The known-good request checked after every wake (and recorded at first boot). */
  public record Canary(String prompt, Integer maxTokens) {
    public Canary {
      prompt = prompt == null ? "Count from one to five." : prompt;
      maxTokens = maxTokens == null ? 8 : maxTokens;
    }
  }

  /**
   * An engine process tiergate owns: started with {@code command} (an argv list, no shell),
   * stopped with SIGTERM and, after {@code stopGraceMs}, SIGKILL; restarted with backoff when it
   * dies on its own. Its output goes to a bounded log (the last {@code logLines} lines are in
   * status) and, when set, to {@code logFile}.
   */
  public record Process(List<String> command, Map<String, String> env, String workingDir, Long stopGraceMs, String logFile,
      Integer logLines) {
    public Process {
      command = command == null ? List.of() : List.copyOf(command);
      env = env == null ? Map.of() : Map.copyOf(env);
      stopGraceMs = stopGraceMs == null ? 30_000L : stopGraceMs;
      logLines = logLines == null ? 200 : logLines;
    }
  }

  /** Commands that start and stop the engine elsewhere (e.g. {@code docker compose up -d} / {@code down}). */
  public record Commands(List<String> start, List<String> stop, Long timeoutMs, String workingDir) {
    public Commands {
      start = start == null ? List.of() : List.copyOf(start);
      stop = stop == null ? List.of() : List.copyOf(stop);
      timeoutMs = timeoutMs == null ? 300_000L : timeoutMs;
    }
  }

  /**
   * A control service that switches the engine to this tier when called (e.g. {@code POST /switch},
   * answering once the model is loaded and 409 while another switch runs); {@code stop}, when set,
   * is the call that frees the GPUs.
   */
  public record Http(String url, String method, Map<String, String> headers, String body, Long timeoutMs, Call stop) {
    public Http {
      method = method == null ? "POST" : method;
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      timeoutMs = timeoutMs == null ? 600_000L : timeoutMs;
    }

    public Call start() {
      return new Call(url, method, headers, body, timeoutMs);
    }
  }

  /** One HTTP control call. */
  public record Call(String url, String method, Map<String, String> headers, String body, Long timeoutMs) {
    public Call {
      method = method == null ? "POST" : method;
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      timeoutMs = timeoutMs == null ? 600_000L : timeoutMs;
    }
  }

  /** The mode's name for messages and status. */
  public String mode() {
    String m = process != null ? "process" : commands != null ? "commands" : http != null ? "http" : "none";
    return warm != null ? m + "+warm" : m;
  }
}
