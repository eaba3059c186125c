package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;

/** One member of the attention family: MHA/MQA/GQA ({@link GroupedQueryAttention}) or MLA. */
public interface Attention {

  /** {@code x [B*T, dim]} (already normalised) to {@code [B*T, dim]}; writes new K/V to the step's cache. */
  NDArray forward(NDArray x, Step step);
}
