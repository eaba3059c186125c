package dev.latent.inference.chat;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.latent.inference.openai.Params;
import dev.latent.inference.openai.StreamOptions;
import dev.latent.support.problem.ProblemException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's chat completion request, with vLLM's {@code top_k} and {@code min_p} extensions.
 * Validated here so every bad value is a 400 naming its parameter.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record ChatCompletionRequest(
    String model,
    List<Message> messages,
    @Nullable Boolean stream,
    @Nullable StreamOptions streamOptions,
    @Nullable Integer maxTokens,
    @Nullable Integer maxCompletionTokens,
    @Nullable Double temperature,
    @Nullable Double topP,
    @Nullable Integer topK,
    @Nullable Double minP,
    @Nullable Long seed,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) @Nullable List<String> stop,
    @Nullable Integer n,
    @Nullable Boolean logprobs,
    @Nullable Integer topLogprobs,
    @Nullable Double presencePenalty,
    @Nullable Double frequencyPenalty,
    @Nullable String user) {

  static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

  /**
   * One message; {@code content} is a string or an array of {@code {"type":"text"}} parts.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Message(String role, @Nullable Object content, @Nullable String reasoningContent,
      @Nullable String name) {

    String text() {
      if (content == null) {
        return "";
      }
      if (content instanceof String s) {
        return s;
      }
      if (content instanceof List<?> parts) {
        var text = new StringBuilder();
        for (Object part : parts) {
          if (part instanceof Map<?, ?> p && "text".equals(p.get("type"))
              && p.get("text") instanceof String t) {
            text.append(t);
          } else {
            throw ProblemException.invalidParameter(
                "messages", "only text content parts are supported");
          }
        }
        return text.toString();
      }
      throw ProblemException.invalidParameter("messages", "content must be a string or parts");
    }
  }

  ChatCompletionRequest {
    Params.required("model", model);
    if (messages == null || messages.isEmpty()) {
      throw ProblemException.invalidParameter("messages", "messages must not be empty");
    }
    for (Message m : messages) {
      if (m == null || m.role() == null || !ROLES.contains(m.role())) {
        throw ProblemException.invalidParameter(
            "messages", "each message needs a role among " + ROLES);
      }
      m.text(); // validates content
    }
    Params.range("max_tokens", maxTokens, 1, Integer.MAX_VALUE);
    Params.range("max_completion_tokens", maxCompletionTokens, 1, Integer.MAX_VALUE);
    Params.range("temperature", temperature, 0.0, 2.0);
    Params.range("top_p", topP, 0.0, 1.0);
    if (topP != null && topP == 0) {
      throw ProblemException.invalidParameter("top_p", "top_p must be greater than 0");
    }
    Params.range("top_k", topK, -1, Integer.MAX_VALUE);
    Params.range("min_p", minP, 0.0, 1.0);
    Params.range("n", n, 1, 8);
    Params.range("top_logprobs", topLogprobs, 0, 20);
    if (topLogprobs != null && topLogprobs > 0 && !Boolean.TRUE.equals(logprobs)) {
      throw ProblemException.invalidParameter("top_logprobs", "top_logprobs needs logprobs: true");
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

  /** {@code max_completion_tokens} supersedes the older {@code max_tokens}. */
  @Nullable Integer requestedMaxTokens() {
    return maxCompletionTokens != null ? maxCompletionTokens : maxTokens;
  }
}
