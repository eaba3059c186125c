/** Dynamic batching per model on dedicated, bounded worker threads. */
@NullMarked
package dev.latent.vision.batching;

import org.jspecify.annotations.NullMarked;
