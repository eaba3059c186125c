package dev.latent.inference.chat;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latent.inference.openai.Usage;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's {@code chat.completion.chunk}. With {@code include_usage} every chunk carries
 * {@code usage: null} except the last, which has no choices and the usage.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ChatCompletionChunk(String id, String object, long created, String model,
    List<Choice> choices, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Usage usage) {

  static final String OBJECT = "chat.completion.chunk";

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Choice(int index, Delta delta,
      ChatCompletionResponse.@Nullable Logprobs logprobs, @Nullable String finishReason) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Delta(@Nullable String role, @Nullable String content, @Nullable String reasoningContent) {}
}
