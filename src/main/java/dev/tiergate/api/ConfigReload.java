package dev.tiergate.api;

import dev.tiergate.fleet.BackendState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Reads the config file again and puts it in force, together with the keys file when there is one
 * (both or neither). Completes with a summary of what changed; fails with a {@code GatewayError}
 * naming each problem by its key path, in which case nothing changed.
 */
public interface ConfigReload {
  Future<JsonObject> reload(String trigger);

  /** Backends a reload removed or replaced that still finish requests started on them. */
  default List<BackendState> draining() {
    return List.of();
  }
}
