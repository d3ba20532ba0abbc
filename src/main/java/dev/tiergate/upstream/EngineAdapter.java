package dev.tiergate.upstream;

import dev.tiergate.config.Api;
import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.errors.GatewayError;
import io.vertx.core.buffer.Buffer;
import java.util.Set;

/** What differs between engines on the wire; everything else is the shared OpenAI path. */
public interface EngineAdapter {
  Engine engine();

  /**
   * The APIs every engine of this kind serves in its own code. The pooling APIs (embeddings, rerank)
   * depend on the model and the engine's flags, so a backend declares them ({@code serves}).
   */
  Set<Api> nativeApis();

  /** The body to send upstream for {@code api}: served model name, usage requested in chat streams, fields translated. */
  Buffer requestBody(RequestBody body, BackendConfig backend, boolean stream, Api api);

  /** The chat body (the API most requests use). */
  default Buffer requestBody(RequestBody body, BackendConfig backend, boolean stream) {
    return requestBody(body, backend, stream, Api.CHAT);
  }

  /** A non-2xx answer, or an error event before any output, as the gateway's error. */
  GatewayError error(int status, Buffer body);

  /** The fixes this engine's responses need before a client sees them, for one response. */
  ResponseFixer fixer(int maxTokens);

  /** The fixes one of this engine's native Responses or Messages streams needs, for one response. */
  default ResponseFixer namedFixer(Api api) {
    return ResponseFixer.NONE;
  }
}
