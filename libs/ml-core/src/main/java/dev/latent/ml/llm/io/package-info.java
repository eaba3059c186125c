/** Checkpoint IO: memory-mapped safetensors reader, writer, Hugging Face sharded checkpoints. */
@NullMarked
package dev.latent.ml.llm.io;

import org.jspecify.annotations.NullMarked;
