package dev.latent.inference.models;

import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** OpenAI's model object, plus the context length and loaded adapters. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ModelResponse(String id, String object, long created, String ownedBy, int contextLength,
    List<String> adapters) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ModelList(String object, List<Object> data) {}
}
