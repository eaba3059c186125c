package dev.latent.ml.llm;

import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.TransformerConfig.Moe;

/** Tiny configs for tests: each family member in a few thousand parameters. */
final class TinyModels {

  static final int VOCAB = 97;

  private TinyModels() {}

  static TransformerConfig mha() {
    return TransformerConfig.llama(32, 2, 4, 4, 48, VOCAB);
  }

  static TransformerConfig gqa() {
    return TransformerConfig.llama(32, 2, 4, 2, 48, VOCAB);
  }

  static TransformerConfig mqa() {
    return TransformerConfig.llama(32, 2, 4, 1, 48, VOCAB);
  }

  static TransformerConfig mla() {
    return TransformerConfig.llama(32, 2, 4, 4, 48, VOCAB).withMla(new Mla(0, 16, 8, 4, 8), null);
  }

  static TransformerConfig mlaWithQLora() {
    return TransformerConfig.llama(32, 2, 4, 4, 48, VOCAB).withMla(new Mla(12, 16, 8, 4, 8), null);
  }

  static TransformerConfig moe() {
    return TransformerConfig.llama(32, 3, 4, 4, 48, VOCAB)
        .withMla(new Mla(12, 16, 8, 4, 8), new Moe(6, 1, 2, 16, 1, 1, 1.0, true));
  }
}
