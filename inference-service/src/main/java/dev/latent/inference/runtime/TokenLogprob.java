package dev.latent.inference.runtime;

import java.util.List;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** One generated token's log-probability and the most likely alternatives (OpenAI's shape). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TokenLogprob(String token, double logprob, List<Integer> bytes, List<Top> topLogprobs) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Top(String token, double logprob, List<Integer> bytes) {}
}
