package dev.latent.inference.embeddings;

import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** OpenAI's embeddings response; {@code embedding} is a float array or a base64 string. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record EmbeddingResponse(String object, List<Item> data, String model, Usage usage) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Item(String object, int index, Object embedding) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Usage(int promptTokens, int totalTokens) {}
}
