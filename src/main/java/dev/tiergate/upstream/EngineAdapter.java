package dev.tiergate.upstream;

import dev.tiergate.config.BackendConfig;
import dev.tiergate.config.Engine;
import dev.tiergate.errors.GatewayError;
import io.vertx.core.buffer.Buffer;

/** What differs between engines on the wire; everything else is the shared OpenAI path. */
public interface EngineAdapter {
  Engine engine();

  /** The body to send upstream: served model name, usage requested in streams, fields translated. */
  Buffer requestBody(RequestBody body, BackendConfig backend, boolean stream);

  /** A non-2xx answer, or an error event before any output, as the gateway's error. */
  GatewayError error(int status, Buffer body);

  /** The fixes this engine's responses need before a client sees them, for one response. */
  ResponseFixer fixer(int maxTokens);
}
