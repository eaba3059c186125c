/**
 * BF16 weights on the CPU without DJL: DJL 0.36's PyTorch JNI aborts the JVM on any bfloat16
 * tensor, so bf16 matrices live here (raw 16-bit values off-heap) and {@code W·x} runs in the Java
 * Vector API with f32 accumulation. Start at {@link dev.latent.ml.llm.kernel.Bf16Matrix}.
 */
@NullMarked
package dev.latent.ml.llm.kernel;

import org.jspecify.annotations.NullMarked;
