package dev.latent.inference.runtime;

import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How one sequence picks its tokens, already validated by the wire records.
 *
 * @param temperature 0 is greedy
 * @param topK 0 keeps all tokens
 * @param seed same seed and input, same output; null: the scheduler picks one
 * @param maxTokens tokens to generate at most
 * @param stop strings that end the output (not included in it)
 * @param topLogprobs alternatives reported per token when {@code logprobs}
 */
public record SamplingParams(
    double temperature, double topP, int topK, double minP, @Nullable Long seed,
    double presencePenalty, double frequencyPenalty, int maxTokens, List<String> stop,
    boolean logprobs, int topLogprobs) {

  public SamplingParams {
    stop = List.copyOf(stop);
  }

  /** The engine's sampling parameters, with the model's stop tokens. */
  dev.latent.ml.llm.sampling.SamplingParams engine(Set<Integer> stopTokens, long fallbackSeed) {
    return new dev.latent.ml.llm.sampling.SamplingParams(temperature, Math.max(0, topK), topP, minP,
        1.0, presencePenalty, frequencyPenalty, seed != null ? seed : fallbackSeed, stopTokens,
        logprobs ? topLogprobs : -1);
  }
}
