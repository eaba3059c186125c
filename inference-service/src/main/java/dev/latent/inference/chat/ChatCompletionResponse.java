package dev.latent.inference.chat;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latent.inference.openai.Usage;
import dev.latent.inference.runtime.TokenLogprob;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** OpenAI's {@code chat.completion}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ChatCompletionResponse(String id, String object, long created, String model,
    List<Choice> choices, Usage usage) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Choice(int index, Message message, @Nullable Logprobs logprobs, String finishReason) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Message(String role, String content, @Nullable String refusal,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String reasoningContent) {}

  /** {@code logprobs.content}: one entry per generated token. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Logprobs(List<TokenLogprob> content, @Nullable List<TokenLogprob> refusal) {}
}
