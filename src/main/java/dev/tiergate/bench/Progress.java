package dev.tiergate.bench;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn in place on a terminal; without one (CI logs) one plain line
 * per finished step instead. Silent when total is 0.
 */
final class Progress {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final boolean terminal = System.console() != null;
  private final int total;
  private final long startNanos = System.nanoTime();
  private int done;

  Progress(PrintStream out, int total) {
    this.out = out;
    this.total = total;
  }

  void step(String label) {
    done = Math.min(total, done + 1);
    if (terminal) {
      draw(label);
    } else if (total > 0) {
      out.printf("[%d/%d %ds] %s%n", done, total, (System.nanoTime() - startNanos) / 1_000_000_000L, label);
    }
  }

  void show(String label) {
    if (terminal) {
      draw(label);
    }
  }

  private void draw(String label) {
    if (total <= 0) {
      return;
    }
    int filled = (int) ((long) WIDTH * done / total);
    long secs = (System.nanoTime() - startNanos) / 1_000_000_000L;
    String text = String.format("\r[%s%s] %3d/%d %4ds  %-40s", "#".repeat(filled), ".".repeat(WIDTH - filled), done,
        total, secs, label.length() > 40 ? label.substring(0, 40) : label);
    out.print(text);
    out.flush();
  }

  void finish() {
    if (total > 0 && terminal) {
      out.print("\r" + " ".repeat(WIDTH + 60) + "\r");
      out.flush();
    }
  }
}
