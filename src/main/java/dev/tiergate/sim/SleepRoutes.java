package dev.tiergate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The engines' sleep APIs, in each engine's shape: vLLM's dev-mode {@code /sleep?level=N},
 * {@code /wake_up}, {@code /is_sleeping}, {@code /collective_rpc} and {@code /reset_prefix_cache};
 * SGLang's {@code /release_memory_occupation}, {@code /resume_memory_occupation} (refused while
 * requests run) and {@code /flush_cache}; llama.cpp router mode's {@code /models/unload},
 * {@code /models/load} and {@code /models}. {@code /health} stays 200 while asleep, as on vLLM. The routes run on
 * the request's HTTP loop; the sleep state changes on the engine's context, which answers back through the loop.
 */
final class SleepRoutes {
  private final SimCore core;

  SleepRoutes(SimCore core) {
    this.core = core;
  }

  /** Handles the path if it is one of this engine's sleep routes; false otherwise. */
  boolean handle(HttpServerRequest req, String path, Buffer body, SimCore.Writers loop) {
    HttpServerResponse resp = req.response();
    switch (core.engine) {
      case VLLM -> {
        switch (path) {
          case "/sleep" -> sleep(resp, "{}", loop);
          case "/wake_up" -> wake(resp, "{}", loop);
          case "/is_sleeping" -> SimServer.json(core.engine, resp, 200, new JsonObject().put("is_sleeping", core.sleeping).encode());
          case "/collective_rpc" -> later(resp, core.options.sleep().wakeMs() / 2, "{\"results\":[null]}");
          case "/reset_prefix_cache" -> SimServer.json(core.engine, resp, 200, "{}");
          default -> {
            return false;
          }
        }
      }
      case SGLANG -> {
        switch (path) {
          case "/release_memory_occupation" -> core.onEngine(() -> {
            int live = core.liveCount(); // only the engine knows its requests
            loop.context.runOnContext(v -> {
              if (live > 0) {
                SimServer.json(core.engine, resp, 400, "{\"success\":false,\"message\":\"cannot release memory "
                    + "occupation while " + live + " requests are running\"}");
              } else {
                sleep(resp, "{\"success\":true}", loop);
              }
            });
          });
          case "/resume_memory_occupation" -> wake(resp, "{\"success\":true}", loop);
          case "/flush_cache" -> SimServer.json(core.engine, resp, 200, "{}");
          default -> {
            return false;
          }
        }
      }
      case LLAMACPP -> {
        switch (path) {
          case "/models/unload" -> sleep(resp, "{\"success\":true}", loop);
          case "/models/load" -> wake(resp, "{\"success\":true}", loop);
          case "/models" -> SimServer.json(core.engine, resp, 200, new JsonObject().put("data", new io.vertx.core.json.JsonArray()
              .add(new JsonObject().put("id", core.options.model()).put("status", new JsonObject()
                  .put("value", core.sleeping ? "unloaded" : "loaded")))).encode());
          default -> {
            return false;
          }
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  /** After the engine's sleep time: asleep, then the answer (the state is set before the client hears of it). */
  private void sleep(HttpServerResponse resp, String ok, SimCore.Writers loop) {
    core.vertx.setTimer(Math.max(1, Math.round(core.options.sleep().sleepMs())), t -> core.onEngine(() -> {
      core.sleeping = true;
      loop.context.runOnContext(v -> SimServer.json(core.engine, resp, 200, ok));
    }));
  }

  private void wake(HttpServerResponse resp, String ok, SimCore.Writers loop) {
    core.vertx.setTimer(Math.max(1, Math.round(core.options.sleep().wakeMs())), t -> core.onEngine(() -> {
      boolean wasAsleep = core.sleeping;
      core.sleeping = false;
      if (wasAsleep && core.options.sleep().corruptAfterWake()) {
        core.wordShift++;
      }
      loop.context.runOnContext(v -> SimServer.json(core.engine, resp, 200, ok));
      while (!core.parked.isEmpty()) {
        core.parked.poll().run();
      }
    }));
  }

  private void later(HttpServerResponse resp, double ms, String ok) {
    core.vertx.setTimer(Math.max(1, Math.round(ms)), t -> SimServer.json(core.engine, resp, 200, ok));
  }
}
