/** The Kubernetes runner: one Kubernetes Job per fine-tuning job, running this image as a worker. */
@NullMarked
package dev.latent.training.kubernetes;

import org.jspecify.annotations.NullMarked;
