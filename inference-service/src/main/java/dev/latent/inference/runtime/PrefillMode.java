package dev.latent.inference.runtime;

/**
 * How a scheduler step computes the prompts of admitted sequences next to the running ones
 * ({@code latent.inference.runtime.prefill-mode}).
 */
public enum PrefillMode {
  /**
   * Each step computes its prompt chunks first (at most {@code prefill-chunk} tokens over all
   * sequences, through the engine's prefill with all its threads), then one batched decode step.
   */
  FIRST,
  /**
   * Prompt chunks run on the model's prefill thread (one engine thread) while the scheduler
   * thread decodes the running sequences.
   */
  BESIDE,
  /**
   * One engine step carries every decoding sequence's next token and prompt chunks of the
   * admitted sequences, until it holds {@code step-token-budget} tokens (Sarathi's mixed
   * batches): the weights are read once for both, and the running streams get a token every step.
   */
  MIXED
}
