/**
 * Training math on DJL NDArrays, independent of any one model: Adam/AdamW, learning-rate
 * schedules, gradient clipping, causal-LM and DPO losses, LoRA adapters, and a small trainer that
 * drives a {@link dev.latent.ml.llm.Transformer} with them.
 */
@NullMarked
package dev.latent.ml.train;

import org.jspecify.annotations.NullMarked;
