package dev.tiergate.lifecycle;

import dev.tiergate.config.LifecycleConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.List;

/**
 * A control service that switches the GPUs to this tier's model (the seed stack's {@code POST
 * /switch}): its answer is awaited, since such services reply once the model is loaded, and a 409
 * (another switch running) is retried every second until the call's timeout.
 */
final class HttpControl implements EngineControl {
  private static final long BUSY_RETRY_MS = 1_000;

  private final Vertx vertx;
  private final HttpClient client;
  private final LifecycleConfig.Http spec;
  private final LogTail log = new LogTail(200, null);

  HttpControl(Vertx vertx, HttpClient client, LifecycleConfig.Http spec) {
    this.vertx = vertx;
    this.client = client;
    this.spec = spec;
  }

  @Override
  public Future<Void> start() {
    return call("start", spec.start());
  }

  @Override
  public Future<Void> stop() {
    return spec.stop() == null ? Future.succeededFuture() : call("stop", spec.stop());
  }

  private Future<Void> call(String what, LifecycleConfig.Call c) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + c.timeoutMs() * 1_000_000L;
    attempt(what, c, deadline, done);
    return done.future();
  }

  private void attempt(String what, LifecycleConfig.Call c, long deadline, Promise<Void> done) {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      done.tryFail("the " + what + " call to " + c.url() + " did not succeed within " + c.timeoutMs() + " ms");
      return;
    }
    log.add("[tiergate] " + what + ": " + c.method() + " " + c.url());
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.valueOf(c.method())).setAbsoluteURI(c.url())
        .setTimeout(left).setIdleTimeout(left);
    c.headers().forEach(o::putHeader);
    Future<Buffer> reply;
    Future<Integer> status;
    try {
      // One nested chain: a body() chained after the response future may attach on another event loop once the body
      // has ended, and would then never complete (and this control call with it).
      Promise<Integer> code = Promise.promise();
      reply = client.request(o).compose(r -> (c.body() == null ? r.send() : r.send(c.body())).compose(resp -> {
        code.complete(resp.statusCode());
        return resp.body();
      }));
      status = code.future();
    } catch (IllegalStateException closed) {
      done.tryFail("the gateway is shutting down");
      return;
    }
    Future.all(status, reply).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail("the " + what + " call to " + c.url() + " failed: " + ar.cause().getMessage());
        return;
      }
      int s = status.result();
      String body = reply.result().toString();
      log.add("[tiergate] " + what + " answered " + s + (body.isBlank() ? "" : ": " + abbreviate(body)));
      if (s / 100 == 2) {
        done.tryComplete();
      } else if (s == 409) {
        vertx.setTimer(BUSY_RETRY_MS, id -> attempt(what, c, deadline, done));
      } else {
        done.tryFail("the " + what + " call to " + c.url() + " answered " + s + (body.isBlank() ? "" : ": " + abbreviate(body)));
      }
    });
  }

  private static String abbreviate(String s) {
    String t = s.strip();
    return t.length() > 300 ? t.substring(0, 300) + "…" : t;
  }

  @Override
  public String exited() {
    return null;
  }

  @Override
  public void onUnexpectedExit(Runnable handler) {
    // The control service owns the engine; its failures show in the probes.
  }

  @Override
  public List<String> logTail(int n) {
    return log.last(n);
  }
}
