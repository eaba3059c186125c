package dev.latent.inference.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's model object, plus the context length and the loaded adapters ({@code base:adapter}
 * ids) of a base model; an adapter's own object names its base in {@code parent} (as vLLM does).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ModelResponse(String id, String object, long created, String ownedBy, int contextLength,
    List<String> adapters, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String parent) {

  ModelResponse(String id, String object, long created, String ownedBy, int contextLength,
      List<String> adapters) {
    this(id, object, created, ownedBy, contextLength, adapters, null);
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ModelList(String object, List<Object> data) {}
}
