package dev.tiergate.lifecycle;

import dev.tiergate.config.LifecycleConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.File;
import java.util.List;

/**
 * An engine process tiergate starts and owns. Stopped with SIGTERM and, after the grace time,
 * SIGKILL for it and every process it started, so no engine worker outlives its tier. Its output
 * goes to a bounded {@link LogTail} read by a thread of its own (a blocking read).
 */
final class OwnedProcess implements EngineControl {
  private final Vertx vertx;
  private final Context context;
  private final String tier;
  private final LifecycleConfig.Process spec;
  private final LogTail log;
  /** Volatile: the shutdown hook reads it from its own thread. */
  private volatile Process process;
  /** Volatile: set by stopNow on the shutdown thread, read when the process exits on the context. */
  private volatile boolean stopping;
  /** A start in flight: a second start while one runs joins it instead of spawning a second engine. */
  private Future<Void> starting;
  /** The gateway is going away: a process that finishes starting now is stopped at once, not left behind. */
  private volatile boolean shutDown;
  private volatile String exited;
  private Runnable onCrash = () -> { };

  OwnedProcess(Vertx vertx, Context context, String tier, LifecycleConfig.Process spec) {
    this.vertx = vertx;
    this.context = context;
    this.tier = tier;
    this.spec = spec;
    this.log = new LogTail(spec.logLines(), spec.logFile());
  }

  @Override
  public Future<Void> start() {
    if (shutDown) {
      return Future.failedFuture("the gateway is shutting down");
    }
    if (process != null && process.isAlive()) {
      return Future.succeededFuture();
    }
    if (starting != null) {
      return starting;
    }
    stopping = false;
    exited = null;
    log.add("[tiergate] starting: " + String.join(" ", spec.command()));
    Future<Void> started = vertx.executeBlocking(() -> {
      ProcessBuilder pb = new ProcessBuilder(spec.command()).redirectErrorStream(true);
      pb.environment().putAll(spec.env());
      if (spec.workingDir() != null) {
        pb.directory(new File(spec.workingDir()));
      }
      Process p = pb.start();
      // Published before shutDown is read, while stopNow sets shutDown before it reads process: one of
      // the two always sees the other, so a process spawned as the gateway stops is killed by one of them,
      // even when Vert.x is already closing and no callback of this start will ever run.
      process = p;
      if (shutDown) {
        kill(p);
        throw new IllegalStateException("the gateway is shutting down");
      }
      return p;
    }, false).recover(t -> Future.failedFuture(t instanceof IllegalStateException ? t.getMessage()
        : "cannot start " + spec.command().get(0) + ": " + t.getMessage()))
        .map(p -> {
          OutputPump.start(p, log, "tiergate-engine-log-" + tier);
          p.onExit().thenAccept(done -> context.runOnContext(v -> exitedOnItsOwn(done)));
          return (Void) null;
        });
    starting = started;
    return started.onComplete(ar -> starting = null);
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private void exitedOnItsOwn(Process p) {
    if (p != process || stopping) {
      return;
    }
    exited = "exited with status " + p.exitValue();
    log.add("[tiergate] process " + p.pid() + " " + exited);
    onCrash.run();
  }

  @Override
  public Future<Void> stop() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return Future.succeededFuture();
    }
    stopping = true;
    List<ProcessHandle> children = p.descendants().toList();
    log.add("[tiergate] stopping process " + p.pid() + " (SIGTERM, SIGKILL after " + spec.stopGraceMs() + " ms)");
    p.destroy();
    Promise<Void> gone = Promise.promise();
    long kill = vertx.setTimer(Math.max(1, spec.stopGraceMs()), id -> {
      if (p.isAlive()) {
        log.add("[tiergate] still running after " + spec.stopGraceMs() + " ms: SIGKILL");
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    });
    p.onExit().thenAccept(done -> context.runOnContext(v -> {
      vertx.cancelTimer(kill);
      // Workers a killed engine left behind would hold the GPUs for the next tier.
      children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
      if (process == p) {
        // Its exit was asked for: not a crash, and no longer the process a start must wait for.
        exited = "exited with status " + done.exitValue() + " (stopped)";
        process = null;
      }
      gone.tryComplete();
    }));
    return gone.future();
  }

  /** Shutdown of the gateway: nothing it started may outlive it. Blocks up to the grace time. */
  void stopNow() {
    shutDown = true;
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    stopping = true;
    List<ProcessHandle> children = p.descendants().toList();
    p.destroy();
    try {
      if (!p.waitFor(spec.stopGraceMs(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  long pid() {
    Process p = process;
    return p == null || !p.isAlive() ? -1 : p.pid();
  }

  @Override
  public String exited() {
    return exited;
  }

  @Override
  public void onUnexpectedExit(Runnable handler) {
    this.onCrash = handler;
  }

  @Override
  public List<String> logTail(int n) {
    return log.last(n);
  }
}
