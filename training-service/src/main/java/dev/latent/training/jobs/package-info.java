/** Fine-tuning jobs: the OpenAI-shaped API, persistence, live events and the in-process runner. */
@NullMarked
package dev.latent.training.jobs;

import org.jspecify.annotations.NullMarked;
