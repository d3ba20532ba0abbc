package dev.tiergate.upstream;

/** How a backend serves one API: in the engine's own implementation, through the gateway's translation to chat, or not at all. */
public enum Support {
  NATIVE,
  TRANSLATED,
  NONE
}
