package dev.tiergate.api;

/** The OpenAI generation endpoints the gateway proxies. */
public enum Endpoint {
  CHAT("chat", "/v1/chat/completions"),
  COMPLETIONS("completions", "/v1/completions");

  public final String id;
  public final String path;

  Endpoint(String id, String path) {
    this.id = id;
    this.path = path;
  }
}
