package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One engine endpoint of a tier.
 *
 * @param maxInflight requests this backend takes at once; a full backend is skipped like a down one
 *     (dense models peak in aggregate throughput at a few streams; more only slows everyone)
 * @param apiKey sent as {@code Authorization: Bearer …} to this engine (vLLM/SGLang {@code --api-key},
 *     llama.cpp {@code --api-key}); write it as {@code ${ENV_VAR}} to keep it out of the file
 * @param serves endpoints this engine serves natively beyond what its kind serves by default: the
 *     pooling APIs ({@code embeddings}, {@code rerank}) of an engine started with an embedding or
 *     reranking model, or an API a newer build added ({@code messages} on ik_llama.cpp)
 * @param translate generation APIs ({@code responses}, {@code messages}) the gateway translates to chat
 *     for this engine even though its kind speaks them natively (an older build, or a native
 *     implementation the operator does not trust)
 */
public record BackendConfig(
    String name, String url, Engine engine, String model, Integer contextWindow, Integer maxInflight, String apiKey,
    List<Api> serves, List<Api> translate) {

  @JsonCreator
  public BackendConfig(
      @JsonProperty("name") String name,
      @JsonProperty("url") String url,
      @JsonProperty("engine") Engine engine,
      @JsonProperty("model") String model,
      @JsonProperty("contextWindow") Integer contextWindow,
      @JsonProperty("maxInflight") Integer maxInflight,
      @JsonProperty("apiKey") String apiKey,
      @JsonProperty("serves") List<Api> serves,
      @JsonProperty("translate") List<Api> translate) {
    this.name = name;
    this.url = url;
    this.engine = engine;
    this.model = model;
    this.contextWindow = contextWindow;
    this.maxInflight = maxInflight;
    this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
    this.serves = serves == null ? List.of() : List.copyOf(serves);
    this.translate = translate == null ? List.of() : List.copyOf(translate);
  }

  public BackendConfig(
      String name, String url, Engine engine, String model, Integer contextWindow, Integer maxInflight, String apiKey) {
    this(name, url, engine, model, contextWindow, maxInflight, apiKey, null, null);
  }

  public BackendConfig(String name, String url, Engine engine, String model, Integer contextWindow) {
    this(name, url, engine, model, contextWindow, null, null, null, null);
  }

  public BackendConfig withModel(String served) {
    return new BackendConfig(name, url, engine, served, contextWindow, maxInflight, apiKey, serves, translate);
  }

  /** Never prints the key. */
  @Override
  public String toString() {
    return "BackendConfig[name=" + name + ", url=" + url + ", engine=" + engine + ", model=" + model
        + ", contextWindow=" + contextWindow + ", maxInflight=" + maxInflight + ", apiKey=" + (apiKey == null ? "none" : "***")
        + ", serves=" + serves + ", translate=" + translate + "]";
  }
}
