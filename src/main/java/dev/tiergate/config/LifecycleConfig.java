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
public record LifecycleConfig(Process process, Commands commands, Http http, Long readyTimeoutMs) {
  public LifecycleConfig {
    readyTimeoutMs = readyTimeoutMs == null ? 600_000L : readyTimeoutMs;
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
    return process != null ? "process" : commands != null ? "commands" : http != null ? "http" : "none";
  }
}
