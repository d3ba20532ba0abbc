package dev.tiergate.sim;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * POST /v1/chat/completions, /v1/completions, /v1/responses and /v1/messages: validation in the engine's
 * manner, then a {@link Generation} whose output speaks the request's API in the engine's shape.
 */
final class GenerateRoute {
  static final String H_FAULT = "x-sim-fault";
  static final String H_FAULT_AFTER = "x-sim-fault-after";
  static final String H_DECODE_TPS = "x-sim-decode-tps";
  static final String H_TOOL_CALL = "x-sim-tool-call";
  static final String H_OUTPUT_TOKENS = "x-sim-output-tokens";
  static final String H_ROLE_DELAY_MS = "x-sim-role-delay-ms";
  private static final int DEFAULT_FAULT_AFTER = 3;
  /** How far each further choice moves the words along, so the {@code n} answers differ as sampled ones would. */
  private static final int CHOICE_SHIFT = 17;
  /** The sim's own bound on n (no engine has one this low): each choice is a sequence with its own state. */
  static final int MAX_CHOICES = 1024;

  private final SimCore core;
  private final Engine engine;
  private final SimOptions options;

  GenerateRoute(SimCore core) {
    this.core = core;
    this.engine = core.engine;
    this.options = core.options;
  }

  /** On the request's HTTP loop {@code loop}, which writes its answer; the engine gets it once it is valid. */
  void serve(HttpServerRequest req, SimApi api, Buffer body, SimCore.Writers loop) {
    if (core.sleeping) {
      // A sleeping engine does not answer: the request waits, with no reply, until a wake. The engine decides,
      // since only it can tell a wake that came meanwhile; a parked request is served again on its own loop.
      Runnable again = () -> loop.context.runOnContext(v -> serve(req, api, body, loop));
      core.onEngine(() -> {
        if (core.sleeping) {
          core.parked.add(again);
        } else {
          again.run();
        }
      });
      return;
    }
    boolean chat = api.chatLike();
    HttpServerResponse resp = req.response();
    core.stats.onRequest(body.toString());
    if (core.loading() && engine != Engine.IKLLAMA) {
      SimServer.loading(engine, resp);
      return;
    }
    MultiMap h = req.headers();
    Fault fault;
    int faultAfter;
    double decodeTps;
    double roleDelayMs;
    int naturalTokens;
    try {
      String f = h.get(H_FAULT);
      fault = f != null ? Fault.parse(f) : Fault.parse(options.fault());
      faultAfter = intHeader(h, H_FAULT_AFTER, DEFAULT_FAULT_AFTER);
      naturalTokens = intHeader(h, H_OUTPUT_TOKENS, -1);
      decodeTps = h.get(H_DECODE_TPS) == null ? options.decodeTps() : Double.parseDouble(h.get(H_DECODE_TPS));
      if (!(decodeTps > 0)) {
        throw new IllegalArgumentException(H_DECODE_TPS + " must be > 0");
      }
      roleDelayMs = h.get(H_ROLE_DELAY_MS) == null ? options.roleDelayMs() : Double.parseDouble(h.get(H_ROLE_DELAY_MS));
      if (!(roleDelayMs >= 0) || Double.isInfinite(roleDelayMs)) {
        throw new IllegalArgumentException(H_ROLE_DELAY_MS + " must be >= 0");
      }
    } catch (IllegalArgumentException e) {
      error(api, resp, 400, "bad sim header: " + e.getMessage());
      return;
    }
    if (fault == Fault.ERROR_500 || fault == Fault.ERROR_503) {
      int code = fault == Fault.ERROR_500 ? 500 : 503;
      error(api, resp, code, "simulated engine fault " + fault.wireName);
      return;
    }
    SimRequest r;
    try {
      r = SimRequest.parse(api, body, engine, options.charsPerToken());
    } catch (SimRequest.Invalid e) {
      if (e.badJson && engine.llamaFamily()) {
        // nlohmann::json throws out of the handler, which llama.cpp turns into a 500
        SimServer.error(engine, resp, 500, "[json.exception.parse_error.101] parse error: " + e.getMessage());
      } else {
        error(api, resp, e.status, (e.badJson ? "JSON decode error: " : "") + e.getMessage());
      }
      return;
    }
    if (engine == Engine.VLLM && r.model != null && !r.model.equals(options.model())) {
      if (api == SimApi.MESSAGES) {
        error(api, resp, 404, "The model `" + r.model + "` does not exist.");
        return;
      }
      SimServer.json(engine, resp, 404, Errors.envelope(engine, 404,
          "The model `" + r.model + "` does not exist.", "NotFoundError").replace("\"param\":null",
          "\"param\":\"model\""));
      return;
    }
    if (r.n > MAX_CHOICES) {
      error(api, resp, 400, "the simulator runs at most " + MAX_CHOICES + " choices (n)");
      return;
    }
    if (engine.llamaFamily() && r.n > options.maxRunning()) {
      // llama.cpp runs each choice in a slot of its own (server-task.cpp params_from_json_cmpl, b10587 era)
      SimServer.error(engine, resp, 400, "n_cmpl cannot be greater than the number of slots, please increase -np");
      return;
    }
    Budget b = budget(r);
    if (b == null) {
      tooLong(r, resp);
      return;
    }
    boolean toolCall = chat && ("true".equalsIgnoreCase(h.get(H_TOOL_CALL))
        || (r.firstToolName != null && r.mentionsWeather));
    Plan[] plans = new Plan[r.n];
    for (int c = 0; c < plans.length; c++) {
      plans[c] = toolCall
          ? Plan.toolCall(options.reasoningTokens(), b.maxTokens, r.firstToolName)
          : Plan.text(b.maxTokens, chat ? options.reasoningTokens() : 0, naturalTokens);
      plans[c].shift = core.wordShift + c * CHOICE_SHIFT;
    }
    Output out = output(r, resp, plans, b.promptTokens);
    long hold = engine == Engine.IKLLAMA ? core.loadingRemainingMs() : 0;
    Integer asked = r.requestedMaxTokens(engine);
    new Generation(core, loop, plans, out, resp, b.promptTokens, fault, faultAfter, decodeTps,
        asked == null ? -1 : asked, r.stream, roleDelayMs).start(hold);
  }

  private record Budget(int promptTokens, int maxTokens) {
  }

  /** The prompt and output budget the engine would accept, or null when it rejects the request as too long. */
  private Budget budget(SimRequest r) {
    int window = options.contextWindow();
    int p = r.promptTokens;
    Integer asked = r.requestedMaxTokens(engine);
    int dflt = options.defaultMaxTokens();
    return switch (engine) {
      case VLLM, SGLANG -> {
        // without an explicit limit the Python engines shrink the default to what still fits
        int max = asked != null ? asked : Math.max(1, Math.min(dflt, window - p));
        yield (long) p + max > window ? null : new Budget(p, max);
      }
      case LLAMACPP -> {
        // only the prompt is checked; generation simply stops when the slot's context is full (capture 08e)
        if (p >= window) {
          yield null;
        }
        yield new Budget(p, Math.min(asked != null ? asked : dflt, window - p));
      }
      case IKLLAMA -> new Budget(Math.min(p, Math.max(1, window - 1)), asked != null ? asked : dflt);
    };
  }

  /**
   * An error in the words of the engine's route: vLLM and SGLang answer Anthropic's envelope on
   * /v1/messages ({@code vllm/entrypoints/anthropic/api_router.py} translate_error_response); llama.cpp
   * keeps its own there (capture 17e).
   */
  private void error(SimApi api, HttpServerResponse resp, int code, String message) {
    if (api == SimApi.MESSAGES && engine.python()) {
      SimServer.json(engine, resp, code, anthropicError(Errors.typeFor(engine, code), message));
    } else {
      SimServer.error(engine, resp, code, message);
    }
  }

  static String anthropicError(String type, String message) {
    return new io.vertx.core.json.JsonObject().put("type", "error")
        .put("error", new io.vertx.core.json.JsonObject().put("type", type).put("message", message)).encode();
  }

  private void tooLong(SimRequest r, HttpServerResponse resp) {
    int window = options.contextWindow();
    Integer asked = r.requestedMaxTokens(engine);
    int max = asked != null ? asked : Math.max(1, Math.min(options.defaultMaxTokens(), window - r.promptTokens));
    if (r.api == SimApi.MESSAGES && engine.python()) {
      error(r.api, resp, 400, engine == Engine.VLLM ? Errors.vllmTooLong(window, r.promptTokens, max)
          : "Requested token count exceeds the model's maximum context length of " + window + " tokens.");
      return;
    }
    if (engine == Engine.SGLANG && r.stream && r.api == SimApi.CHAT) {
      // SGLang validates inside the stream generator: the 200 is already out when the error arrives
      StreamOutput.startStream(engine, resp);
      resp.write(Buffer.buffer("data: " + Errors.sglangTooLongStreamEvent(window, r.promptTokens, max) + "\n\n"));
      resp.end(ChunkFormat.DONE);
      return;
    }
    SimServer.json(engine, resp, 400, Errors.contextTooLong(engine, window, r.promptTokens, max));
  }

  private Output output(SimRequest r, HttpServerResponse resp, Plan[] plans, int promptTokens) {
    Plan plan = plans[0]; // Messages and Responses have no n
    boolean idChat = r.chat || engine.llamaFamily(); // llama.cpp uses chatcmpl- ids on /v1/completions too
    String id = (idChat ? "chatcmpl-" : "cmpl-") + Plan.randomId(32);
    long created = System.currentTimeMillis() / 1000;
    String model = switch (engine) {
      case VLLM, LLAMACPP -> options.model();
      case SGLANG, IKLLAMA -> r.model != null ? r.model : options.model();
    };
    if (r.api == SimApi.MESSAGES) {
      return new MessagesOutput(engine, resp, plan, r.stream, id, model, promptTokens); // llama.cpp: chatcmpl- ids (17a)
    }
    if (r.api == SimApi.RESPONSES) {
      return new ResponsesOutput(engine, resp, plan, r.stream, "resp_" + Plan.randomId(32), model);
    }
    if (!r.stream) {
      return new JsonOutput(engine, resp, plans, r.chat, id, created, model);
    }
    ChunkFormat format = new ChunkFormat(engine, r.chat, id, created, model, options.stampEvents());
    return new StreamOutput(engine, resp, format, plans, r.chat, r.includeUsage);
  }

  private static int intHeader(MultiMap h, String name, int dflt) {
    String v = h.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer: " + v);
    }
  }
}
