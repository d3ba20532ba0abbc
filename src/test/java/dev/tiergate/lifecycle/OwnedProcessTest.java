package dev.tiergate.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.LifecycleConfig;
import dev.tiergate.testing.Wire;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An owned engine process is started once however often start is asked, and never outlives a shutdown. */
class OwnedProcessTest {
  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  private final LifecycleConfig.Process sleep = new LifecycleConfig.Process(List.of("sleep", "60"), null, null, 1_000L,
      null, null);

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Wire.await("no process outlives the test: " + ProcessHandle.current().children().map(ProcessHandle::pid).toList(),
        10_000, () -> ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive));
  }

  private <T> T onContext(java.util.function.Supplier<Future<T>> action) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> action.get().onComplete(ar -> {
      if (ar.succeeded()) {
        done.complete(ar.result());
      } else {
        done.completeExceptionally(ar.cause());
      }
    }));
    return done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void twoStartsWhileOneIsInFlightSpawnOneProcess() throws Exception {
    OwnedProcess p = new OwnedProcess(vertx, context, "t", sleep);
    onContext(() -> Future.join(p.start(), p.start(), p.start()).mapEmpty());
    assertEquals(1, ProcessHandle.current().children().filter(h -> h.info().command().orElse("").endsWith("sleep")).count(),
        "one engine process for one tier");
    assertTrue(p.pid() > 0);
    p.stopNow();
    assertEquals(-1, p.pid());
  }

  @Test
  void aStartAskedDuringOrAfterShutdownLeavesNoProcessBehind() throws Exception {
    OwnedProcess p = new OwnedProcess(vertx, context, "t", sleep);
    Promise<Void> asked = Promise.promise();
    // The race the gateway hit: a restart is asked on the context while shutdown runs on another thread.
    context.runOnContext(v -> {
      p.start();
      asked.complete();
    });
    p.stopNow();
    asked.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String refused = onContext(() -> p.start().map("started").otherwise(Throwable::getMessage));
    assertEquals("the gateway is shutting down", refused);
  }
}
