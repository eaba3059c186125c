/**
 * The serving runtime, the only package that touches DJL models and predictors: the embedding
 * model on ONNX Runtime, the KV block pool and prefix cache, the admission queue, and the
 * scheduler that runs continuous batches on its own bounded executor.
 */
@NullMarked
package dev.latent.inference.runtime;

import org.jspecify.annotations.NullMarked;
