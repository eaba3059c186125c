package dev.latent.inference.completions;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.latent.inference.openai.Params;
import dev.latent.inference.openai.StreamOptions;
import dev.latent.support.problem.ProblemException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's (legacy) completion request: {@code prompt} is a string or an array of strings, each
 * its own choice. {@code max_tokens} defaults to 16 as in OpenAI's API.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CompletionRequest(
    String model,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> prompt,
    @Nullable Boolean stream,
    @Nullable StreamOptions streamOptions,
    @Nullable Integer maxTokens,
    @Nullable Double temperature,
    @Nullable Double topP,
    @Nullable Integer topK,
    @Nullable Double minP,
    @Nullable Long seed,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) @Nullable List<String> stop,
    @Nullable Integer n,
    @Nullable Integer logprobs,
    @Nullable Boolean echo,
    @Nullable Double presencePenalty,
    @Nullable Double frequencyPenalty,
    @Nullable String user) {

  CompletionRequest {
    Params.required("model", model);
    if (prompt == null || prompt.isEmpty()) {
      throw ProblemException.invalidParameter("prompt", "prompt must not be empty");
    }
    if (prompt.size() > 16) {
      throw ProblemException.invalidParameter("prompt", "at most 16 prompts per request");
    }
    if (prompt.stream().anyMatch(p -> p == null || p.isEmpty())) {
      throw ProblemException.invalidParameter("prompt", "prompts must be non-empty strings");
    }
    Params.range("max_tokens", maxTokens, 1, Integer.MAX_VALUE);
    Params.range("temperature", temperature, 0.0, 2.0);
    Params.range("top_p", topP, 0.0, 1.0);
    if (topP != null && topP == 0) {
      throw ProblemException.invalidParameter("top_p", "top_p must be greater than 0");
    }
    Params.range("top_k", topK, -1, Integer.MAX_VALUE);
    Params.range("min_p", minP, 0.0, 1.0);
    Params.range("n", n, 1, 1);
    Params.range("logprobs", logprobs, 0, 5);
    if (Boolean.TRUE.equals(echo)) {
      throw ProblemException.invalidParameter("echo", "echo is not supported");
    }
    Params.range("presence_penalty", presencePenalty, -2.0, 2.0);
    Params.range("frequency_penalty", frequencyPenalty, -2.0, 2.0);
    stop = Params.stop(stop);
  }

  boolean streaming() {
    return Boolean.TRUE.equals(stream);
  }

  boolean includeUsage() {
    return streamOptions != null && streamOptions.usage();
  }
}
