package dev.latent.ml.llm.sampling;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How the next token is chosen, with OpenAI/vLLM meanings.
 *
 * @param temperature 0 means greedy (argmax)
 * @param topK keep the k most likely tokens; 0 = off
 * @param topP keep the smallest set whose probability reaches p; 1 = off
 * @param minP drop tokens less likely than {@code minP * p(max)}; 0 = off
 * @param repetitionPenalty over prompt and output tokens: positive logits divided, negative multiplied; 1 = off
 * @param presencePenalty subtracted once from every token already generated; 0 = off
 * @param frequencyPenalty subtracted per occurrence of a generated token; 0 = off
 * @param seed same seed and same input give the same tokens; null = a fresh random seed
 * @param stopTokenIds tokens that end the sequence (EOS ids belong here)
 * @param topLogprobs -1 = no logprobs; 0 = the chosen token's; n = also the n most likely alternatives
 */
public record SamplingParams(double temperature, int topK, double topP, double minP,
    double repetitionPenalty, double presencePenalty, double frequencyPenalty, @Nullable Long seed,
    Set<Integer> stopTokenIds, int topLogprobs) {

  public SamplingParams {
    stopTokenIds = Set.copyOf(stopTokenIds);
    check(temperature >= 0 && Double.isFinite(temperature), "temperature must be >= 0");
    check(topK >= 0, "top_k must be >= 0");
    check(topP > 0 && topP <= 1, "top_p must be in (0, 1]");
    check(minP >= 0 && minP <= 1, "min_p must be in [0, 1]");
    check(repetitionPenalty > 0, "repetition_penalty must be > 0");
    check(Math.abs(presencePenalty) <= 2, "presence_penalty must be in [-2, 2]");
    check(Math.abs(frequencyPenalty) <= 2, "frequency_penalty must be in [-2, 2]");
    check(topLogprobs >= -1 && topLogprobs <= 20, "top_logprobs must be in 0..20");
  }

  /** Argmax, no penalties, no logprobs. */
  public static SamplingParams greedy() {
    return new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, Set.of(), -1);
  }

  /** Plain sampling at a temperature with a seed. */
  public static SamplingParams sample(double temperature, long seed) {
    return new SamplingParams(temperature, 0, 1, 0, 1, 0, 0, seed, Set.of(), -1);
  }

  public SamplingParams withTopK(int k) {
    return new SamplingParams(temperature, k, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, stopTokenIds, topLogprobs);
  }

  public SamplingParams withTopP(double p) {
    return new SamplingParams(temperature, topK, p, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, stopTokenIds, topLogprobs);
  }

  public SamplingParams withMinP(double p) {
    return new SamplingParams(temperature, topK, topP, p, repetitionPenalty, presencePenalty, frequencyPenalty, seed, stopTokenIds, topLogprobs);
  }

  public SamplingParams withPenalties(double repetition, double presence, double frequency) {
    return new SamplingParams(temperature, topK, topP, minP, repetition, presence, frequency, seed, stopTokenIds, topLogprobs);
  }

  public SamplingParams withStopTokenIds(Set<Integer> ids) {
    return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, ids, topLogprobs);
  }

  public SamplingParams withTopLogprobs(int n) {
    return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, stopTokenIds, n);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
