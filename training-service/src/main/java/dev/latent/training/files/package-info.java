/** The Files API: JSONL training data, validated on upload and stored whole or not at all. */
@NullMarked
package dev.latent.training.files;

import org.jspecify.annotations.NullMarked;
