/** Transformer blocks, one class each, written like the papers: RMSNorm, RoPE, the attention family (MHA/MQA/GQA, MLA), SwiGLU and DeepSeekMoE FFNs. */
@NullMarked
package dev.latent.ml.llm.block;

import org.jspecify.annotations.NullMarked;
