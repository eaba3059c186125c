package dev.latent.inference.completions;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latent.inference.openai.Usage;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** OpenAI's {@code text_completion}, whole or as a stream chunk (then usage only on the last). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CompletionResponse(String id, String object, long created, String model,
    List<Choice> choices, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Usage usage) {

  /** {@code logprobs} in the legacy shape: tokens, token_logprobs, top_logprobs, text_offset. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Choice(String text, int index, @Nullable Logprobs logprobs,
      @Nullable String finishReason) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Logprobs(List<String> tokens, List<Double> tokenLogprobs,
      List<Map<String, Double>> topLogprobs, List<Integer> textOffset) {}
}
