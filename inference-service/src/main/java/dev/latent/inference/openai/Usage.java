package dev.latent.inference.openai;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's {@code usage} with DeepSeek's cache fields: {@code prompt_cache_hit_tokens +
 * prompt_cache_miss_tokens = prompt_tokens}, and the hit tokens are also {@code cached_tokens}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Usage(
    int promptTokens,
    int completionTokens,
    int totalTokens,
    PromptTokensDetails promptTokensDetails,
    int promptCacheHitTokens,
    int promptCacheMissTokens,
    CompletionTokensDetails completionTokensDetails) {

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record PromptTokensDetails(int cachedTokens) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record CompletionTokensDetails(int reasoningTokens) {}

  /** The sum of two usages (choices or prompts of one request); {@code a} may be null. */
  public static Usage sum(@Nullable Usage a, Usage b) {
    if (a == null) {
      return b;
    }
    return of(a.promptTokens() + b.promptTokens(),
        a.promptTokensDetails().cachedTokens() + b.promptTokensDetails().cachedTokens(),
        a.completionTokens() + b.completionTokens(),
        a.completionTokensDetails().reasoningTokens() + b.completionTokensDetails().reasoningTokens());
  }

  public static Usage of(int promptTokens, int cachedTokens, int completionTokens,
      int reasoningTokens) {
    return new Usage(promptTokens, completionTokens, promptTokens + completionTokens,
        new PromptTokensDetails(cachedTokens), cachedTokens, promptTokens - cachedTokens,
        new CompletionTokensDetails(reasoningTokens));
  }
}
