package dev.tiergate.app;

import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.ServerConfig;
import java.nio.file.Path;

/**
 * Where a running gateway's config came from, so a reload can read it again the same way.
 *
 * @param loader the environment the file's {@code ${VAR}} references were resolved with
 * @param server the server section as the file had it at start (before {@code --port} or a port 0
 *     was resolved): a reloaded file must still have exactly this one
 */
public record ConfigFile(Path path, ConfigLoader loader, ServerConfig server) {}
