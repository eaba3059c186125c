/** The training service: files and fine-tuning jobs that write models to the store. */
@NullMarked
package dev.latent.training;

import org.jspecify.annotations.NullMarked;
