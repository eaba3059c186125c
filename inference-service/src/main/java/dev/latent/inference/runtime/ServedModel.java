package dev.latent.inference.runtime;

import dev.latent.ml.text.ChatTemplate;
import dev.latent.ml.text.Tokenizer;
import java.util.Set;

/**
 * A model the service answers for: its tokenizer and template, its limits, and the scheduler
 * that runs it.
 *
 * @param ownedBy {@code latent} for models from the store, {@code latent-seeded} for the one the
 *     service made itself
 */
public record ServedModel(String id, String ownedBy, long created, int contextLength,
    Tokenizer tokenizer, ChatTemplate chatTemplate, Set<Integer> stopTokens, int vocabSize,
    Scheduler scheduler) {

  /** Whether the template or vocabulary knows {@code <think>}: then reasoning is split off. */
  public boolean reasoning() {
    return tokenizer.specialTokenId("<think>").isPresent();
  }
}
