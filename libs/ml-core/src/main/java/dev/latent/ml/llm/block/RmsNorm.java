package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;

/** RMSNorm: {@code x / sqrt(mean(x^2) + eps) * weight}, over the last axis. */
public final class RmsNorm {

  private final NDArray weight;
  private final float eps;

  public RmsNorm(NDArray weight, double eps) {
    this.weight = weight;
    this.eps = (float) eps;
  }

  public NDArray apply(NDArray x) {
    return apply(x, weight, eps);
  }

  public static NDArray apply(NDArray x, NDArray weight, float eps) {
    NDArray inverseRms = x.square().mean(new int[] {-1}, true).add(eps).pow(-0.5f);
    return x.mul(inverseRms).mul(weight);
  }
}
