package dev.tiergate.lifecycle;

import io.vertx.core.Future;
import java.util.List;

/**
 * How one tier's engine is started and stopped: an owned process, a pair of commands, or an HTTP
 * control call. Every future completes on the lifecycle's context, exactly once.
 */
interface EngineControl {
  /** Starts the engine; completes when the start action itself is done (not when the engine is ready). */
  Future<Void> start();

  /** Stops the engine; completes once it is gone as far as this mode can tell. */
  Future<Void> stop();

  /**
   * For an owned process: why it is no longer running (exit status), or null while it runs. Other
   * modes cannot tell and answer null.
   */
  String exited();

  /** Called when an owned process exits without being asked to; never for other modes. */
  void onUnexpectedExit(Runnable handler);

  /** The last lines the engine or its commands printed. */
  List<String> logTail(int n);
}
