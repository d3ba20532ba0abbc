package dev.tiergate.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Vert.x reported a blocked event loop during it. Vert.x only logs the
 * warning; this turns it into an assertion (the threshold is set low in surefire's argLine).
 */
public final class BlockedLoopGuard implements BeforeEachCallback, AfterEachCallback {
  private static final Logger CHECKER = Logger.getLogger("io.vertx.core.impl.BlockedThreadChecker");
  private static final List<String> WARNINGS = new ArrayList<>();

  static {
    CHECKER.addHandler(new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue() && !warmingUp(r.getThrown())) {
          synchronized (WARNINGS) {
            StringBuilder sb = new StringBuilder(r.getMessage());
            if (r.getThrown() != null) {
              for (StackTraceElement e : r.getThrown().getStackTrace()) {
                sb.append("\n    at ").append(e);
              }
            }
            WARNINGS.add(sb.toString());
          }
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
  }

  /**
   * A loop caught loading or linking a class (a lambda's first call, a class's first use) pays the
   * JVM's one-time warm-up, which a loaded 2-core machine can stretch past the threshold; it is not
   * a blocking call in our code and will not recur, so it does not fail the test.
   */
  static boolean warmingUp(Throwable where) {
    if (where == null) {
      return false;
    }
    StackTraceElement[] stack = where.getStackTrace();
    for (int i = 0; i < Math.min(stack.length, 12); i++) {
      String c = stack[i].getClassName();
      if (c.startsWith("java.lang.invoke.") || c.startsWith("jdk.internal.loader.") || c.equals("java.lang.ClassLoader")
          || c.startsWith("java.lang.ClassLoader")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    synchronized (WARNINGS) {
      WARNINGS.clear();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    synchronized (WARNINGS) {
      if (!WARNINGS.isEmpty()) {
        String first = WARNINGS.get(0);
        WARNINGS.clear();
        throw new AssertionError("an event loop was blocked during the test: " + first);
      }
    }
  }
}
