package dev.tiergate.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.List;

/** The contents of {@code auth.keysFile}: {@code keys: [ {name, key | sha256, tiers, role, rpm, tpm, maxConcurrent} ]}. */
public record KeysFile(List<KeyConfig> keys) {
  @JsonCreator
  public KeysFile {
    keys = keys == null ? List.of() : List.copyOf(keys);
  }
}
