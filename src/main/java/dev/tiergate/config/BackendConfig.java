package dev.tiergate.config;

/** One engine endpoint of a tier. */
public record BackendConfig(String name, String url, Engine engine, String model, Integer contextWindow) {}
