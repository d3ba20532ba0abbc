package dev.tiergate.lifecycle;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lines an engine process or command printed: bounded, so a chatty engine cannot grow the
 * gateway's memory, and optionally copied to a file for the whole story.
 */
final class LogTail {
  /** A single line longer than this is cut: a progress bar without newlines must not fill the heap. */
  private static final int MAX_LINE = 4096;

  private final int capacity;
  private final ArrayDeque<String> lines;
  private Writer file;

  LogTail(int capacity, String filePath) {
    this.capacity = capacity;
    this.lines = new ArrayDeque<>(Math.min(capacity, 1024));
    if (filePath != null) {
      try {
        file = Files.newBufferedWriter(Path.of(filePath), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        add("[tiergate] cannot open log file " + filePath + ": " + e.getMessage());
      }
    }
  }

  synchronized void add(String line) {
    String l = line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "…" : line;
    if (capacity > 0) {
      if (lines.size() == capacity) {
        lines.removeFirst();
      }
      lines.addLast(l);
    }
    if (file != null) {
      try {
        file.write(l);
        file.write('\n');
        file.flush();
      } catch (IOException e) {
        file = null;
      }
    }
  }

  /** The last {@code n} lines, oldest first. */
  synchronized List<String> last(int n) {
    List<String> all = new ArrayList<>(lines);
    return List.copyOf(all.subList(Math.max(0, all.size() - n), all.size()));
  }
}
