package dev.latent.training.jobs;

import dev.latent.ml.llm.TransformerConfig;
import dev.latent.training.defaultmodel.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A tiny seeded Llama in a model store, written by the same {@link ModelFiles} as the default
 * model's initial checkpoint: byte-level BPE {@code tokenizer.json} (one token per byte), ChatML
 * specials, {@code <think>} tokens, eos {@code <|im_end|>}.
 */
public final class TinyBaseModel {

  static final TransformerConfig CONFIG = ModelFiles.config(32, 2, 4, 2, 48, 512);

  private TinyBaseModel() {}

  public static void write(Path store, String name) throws IOException {
    ModelFiles.writeInitial(store.resolve(name), CONFIG, 5);
  }
}
