/**
 * Text around the transformer: Hugging Face tokenizers (DJL), chat templates rendered with a real
 * Jinja engine, incremental detokenization for streaming, and the {@code <think>} reasoning split.
 * Start at {@link dev.latent.ml.text.Tokenizer#load}.
 */
@NullMarked
package dev.latent.ml.text;

import org.jspecify.annotations.NullMarked;
