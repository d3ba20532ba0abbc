package dev.tiergate.lifecycle;

import dev.tiergate.config.LifecycleConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.File;
import java.util.List;

/**
 * Commands that start and stop an engine tiergate does not own (e.g. {@code docker compose up -d}
 * / {@code down}): each must exit 0 within its timeout; a failure carries the exit status and the
 * last lines it printed.
 */
final class CommandPair implements EngineControl {
  private final Vertx vertx;
  private final Context context;
  private final String tier;
  private final LifecycleConfig.Commands spec;
  private final LogTail log = new LogTail(200, null);

  CommandPair(Vertx vertx, Context context, String tier, LifecycleConfig.Commands spec) {
    this.vertx = vertx;
    this.context = context;
    this.tier = tier;
    this.spec = spec;
  }

  @Override
  public Future<Void> start() {
    return run("start", spec.start());
  }

  @Override
  public Future<Void> stop() {
    return run("stop", spec.stop());
  }

  private Future<Void> run(String what, List<String> argv) {
    log.add("[tiergate] " + what + ": " + String.join(" ", argv));
    Promise<Void> done = Promise.promise();
    vertx.executeBlocking(() -> {
      ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
      if (spec.workingDir() != null) {
        pb.directory(new File(spec.workingDir()));
      }
      return pb.start();
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        done.fail("cannot run the " + what + " command " + argv.get(0) + ": " + ar.cause().getMessage());
        return;
      }
      Process p = ar.result();
      OutputPump.start(p, log, "tiergate-command-log-" + tier);
      long timer = vertx.setTimer(spec.timeoutMs(), id -> {
        if (p.isAlive()) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          done.tryFail("the " + what + " command did not finish within " + spec.timeoutMs() + " ms" + tail());
        }
      });
      p.onExit().thenAccept(x -> context.runOnContext(v -> {
        vertx.cancelTimer(timer);
        int status = x.exitValue();
        if (status == 0) {
          done.tryComplete();
        } else {
          done.tryFail("the " + what + " command exited with status " + status + tail());
        }
      }));
    });
    return done.future();
  }

  private String tail() {
    List<String> last = log.last(5);
    return last.isEmpty() ? "" : "; last output: " + String.join(" | ", last);
  }



  @Override
  public String exited() {
    return null;
  }

  @Override
  public void onUnexpectedExit(Runnable handler) {
    // Not ours to watch: the commands return at once and the engine lives elsewhere.
  }

  @Override
  public List<String> logTail(int n) {
    return log.last(n);
  }
}
