package dev.latent.inference.runtime;

import dev.latent.ml.text.ChatTemplate;
import dev.latent.ml.text.Tokenizer;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A model the service answers for: its tokenizer and template, its limits, and the scheduler
 * that runs it. A LoRA adapter is served as its base model with {@code adapter} set (id
 * {@code base:adapter}), on the base's scheduler, in the same batches as the base.
 *
 * @param ownedBy {@code latent} for models from the store, {@code latent-seeded} for the one the
 *     service made itself
 * @param adapter the adapter applied to this model's sequences; null for the base model
 */
public record ServedModel(String id, String ownedBy, long created, int contextLength,
    Tokenizer tokenizer, ChatTemplate chatTemplate, Set<Integer> stopTokens, int vocabSize,
    Scheduler scheduler, @Nullable Adapter adapter) {

  public ServedModel(String id, String ownedBy, long created, int contextLength,
      Tokenizer tokenizer, ChatTemplate chatTemplate, Set<Integer> stopTokens, int vocabSize,
      Scheduler scheduler) {
    this(id, ownedBy, created, contextLength, tokenizer, chatTemplate, stopTokens, vocabSize,
        scheduler, null);
  }

  /** This base model with {@code adapter} applied, under the adapter's id. */
  ServedModel with(Adapter adapter) {
    return new ServedModel(adapter.id(), ownedBy, adapter.created(), contextLength, tokenizer,
        chatTemplate, stopTokens, vocabSize, scheduler, adapter);
  }

  /** Whether the template or vocabulary knows {@code <think>}: then reasoning is split off. */
  public boolean reasoning() {
    return tokenizer.specialTokenId("<think>").isPresent();
  }
}
