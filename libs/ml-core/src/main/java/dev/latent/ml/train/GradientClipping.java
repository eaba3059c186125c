package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/** Clipping by the global L2 norm over all gradients, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradientClipping {

  private GradientClipping() {}

  /** The global L2 norm of {@code grads}. */
  public static double globalNorm(Collection<NDArray> grads) {
    double sumSquares = 0;
    for (NDArray g : grads) {
      try (NDManager scratch = g.getManager().newSubManager()) {
        g.tempAttach(scratch);
        sumSquares += g.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).square().sum().getFloat();
      }
    }
    return Math.sqrt(sumSquares);
  }

  /**
   * Scales {@code grads} in place so their global norm is at most {@code maxNorm} (no-op when
   * {@code maxNorm <= 0} or already below) and returns the norm before clipping.
   */
  public static double clip(Collection<NDArray> grads, double maxNorm) {
    double norm = globalNorm(grads);
    if (maxNorm > 0 && norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (NDArray g : grads) {
        g.muli(scale);
      }
    }
    return norm;
  }
}
