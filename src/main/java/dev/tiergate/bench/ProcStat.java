package dev.tiergate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and memory of another process, read from /proc (Linux only; zeros elsewhere). */
public final class ProcStat {
  /** Clock ticks per second of /proc/PID/stat times; 100 on every mainstream Linux build. */
  static final double TICKS = 100.0;

  private ProcStat() {}

  /** utime + stime of the process in seconds, or NaN when it cannot be read. */
  public static double cpuSeconds(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // the command name may contain spaces: fields are counted after its closing parenthesis
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** A field of /proc/PID/status in MiB (VmRSS, VmHWM), or NaN. */
  public static double statusMib(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(field + ":")) {
          String kb = line.substring(field.length() + 1).trim().split("\\s+")[0];
          return Long.parseLong(kb) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
