package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import org.jspecify.annotations.Nullable;

/**
 * A low-rank update of some of a model's projection weights, applied beside them instead of
 * merged into them (LoRA served per request): for an adapted weight {@code W}, the projection of
 * {@code x} becomes {@code x Wᵀ + (x Aᵀ) Bᵀ} (the scale folded into B).
 */
public interface LowRankDelta {

  /** {@code (x Aᵀ) Bᵀ} for {@code x [N, in]}, or null when this delta does not adapt {@code weight}. */
  @Nullable NDArray apply(NDArray x, NDArray weight);

  /**
   * A delta used by some rows of a step: {@code rows} is a {@code [N, 1]} 0/1 mask in the
   * weights' dtype, or null when every row uses it.
   */
  record Rows(LowRankDelta delta, @Nullable NDArray rows) {}
}
