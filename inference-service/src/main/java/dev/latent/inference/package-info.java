/** The inference service: OpenAI-compatible LLM and embeddings API over the ml-core engine. */
@NullMarked
package dev.latent.inference;

import org.jspecify.annotations.NullMarked;
