package dev.latent.inference.runtime;

import dev.latent.inference.openai.Usage;
import java.util.List;

/** What a sequence streams: text as it becomes final, then one {@link Finished}. */
public sealed interface GenerationEvent {

  /** New text; either part may be empty. {@code logprobs} has one entry per token it covers. */
  record Delta(String content, String reasoning, List<TokenLogprob> logprobs)
      implements GenerationEvent {}

  /** @param finishReason {@code stop} or {@code length} */
  record Finished(String finishReason, Usage usage) implements GenerationEvent {}
}
