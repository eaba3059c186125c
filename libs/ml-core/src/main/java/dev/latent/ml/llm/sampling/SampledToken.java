package dev.latent.ml.llm.sampling;

import java.util.List;

/**
 * The chosen token, its log-probability under the model (raw logits, before penalties and
 * temperature, as vLLM reports by default; NaN when logprobs were not asked for), the most likely
 * alternatives, and whether it is a stop token.
 */
public record SampledToken(int id, float logprob, List<TopLogprob> top, boolean stop) {

  public SampledToken {
    top = List.copyOf(top);
  }

  /** One alternative token and its log-probability. */
  public record TopLogprob(int id, float logprob) {}
}
