package dev.tiergate.lifecycle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Copies a child process's output into its log tail on a daemon thread: the read blocks, the event loop must not. */
final class OutputPump {
  private OutputPump() {}

  static void start(Process p, LogTail log, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          log.add(line);
        }
      } catch (IOException closed) {
        log.add("[tiergate] output closed: " + closed.getMessage());
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }
}
