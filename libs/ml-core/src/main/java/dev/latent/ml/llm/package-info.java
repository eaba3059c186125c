/** The LLM engine: {@link dev.latent.ml.llm.TransformerConfig}, {@link dev.latent.ml.llm.Transformer} (load, prefill, batched decode, training forward). */
@NullMarked
package dev.latent.ml.llm;

import org.jspecify.annotations.NullMarked;
