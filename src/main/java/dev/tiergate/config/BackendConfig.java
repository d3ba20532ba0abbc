package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One engine endpoint of a tier.
 *
 * @param maxInflight requests this backend takes at once; a full backend is skipped like a down one
 *     (dense models peak in aggregate throughput at a few streams; more only slows everyone)
 * @param apiKey sent as {@code Authorization: Bearer …} to this engine (vLLM/SGLang {@code --api-key},
 *     llama.cpp {@code --api-key}); write it as {@code ${ENV_VAR}} to keep it out of the file
 */
public record BackendConfig(
    String name, String url, Engine engine, String model, Integer contextWindow, Integer maxInflight, String apiKey) {

  @JsonCreator
  public BackendConfig(
      @JsonProperty("name") String name,
      @JsonProperty("url") String url,
      @JsonProperty("engine") Engine engine,
      @JsonProperty("model") String model,
      @JsonProperty("contextWindow") Integer contextWindow,
      @JsonProperty("maxInflight") Integer maxInflight,
      @JsonProperty("apiKey") String apiKey) {
    this.name = name;
    this.url = url;
    this.engine = engine;
    this.model = model;
    this.contextWindow = contextWindow;
    this.maxInflight = maxInflight;
    this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
  }

  public BackendConfig(String name, String url, Engine engine, String model, Integer contextWindow) {
    this(name, url, engine, model, contextWindow, null, null);
  }

  public BackendConfig withModel(String served) {
    return new BackendConfig(name, url, engine, served, contextWindow, maxInflight, apiKey);
  }

  /** Never prints the key. */
  @Override
  public String toString() {
    return "BackendConfig[name=" + name + ", url=" + url + ", engine=" + engine + ", model=" + model
        + ", contextWindow=" + contextWindow + ", maxInflight=" + maxInflight + ", apiKey=" + (apiKey == null ? "none" : "***") + "]";
  }
}
