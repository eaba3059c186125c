package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;

/** RMSNorm: {@code x / sqrt(mean(x^2) + eps) * weight}, over the last axis. */
public final class RmsNorm {

  private final NDArray weight;
  private final float eps;
  // 0-d constants made once: DJL's op(Number) makes (and frees) a native scalar on every call
  private final NDArray epsScalar;
  private final NDArray minusHalf;

  public RmsNorm(NDArray weight, double eps) {
    this.weight = weight;
    this.eps = (float) eps;
    this.epsScalar = weight.getManager().create(this.eps);
    this.minusHalf = weight.getManager().create(-0.5f);
  }

  public NDArray apply(NDArray x) {
    NDArray inverseRms = x.square().mean(new int[] {-1}, true).add(epsScalar).pow(minusHalf);
    return x.mul(inverseRms).mul(weight);
  }

  /** {@link #apply(NDArray)} on arrays: {@code x [n, dim]} to a new array. */
  public float[] apply(float[] x, int n) {
    float[] w = weight.toFloatArray(); // read each time: training may change it in place
    int dim = w.length;
    float[] out = new float[n * dim];
    for (int r = 0; r < n; r++) {
      int o = r * dim;
      float squares = 0f;
      for (int i = 0; i < dim; i++) {
        squares += x[o + i] * x[o + i];
      }
      float inverseRms = (float) (1.0 / Math.sqrt(squares / dim + eps));
      for (int i = 0; i < dim; i++) {
        out[o + i] = x[o + i] * inverseRms * w[i];
      }
    }
    return out;
  }

  public static NDArray apply(NDArray x, NDArray weight, float eps) {
    NDArray inverseRms = x.square().mean(new int[] {-1}, true).add(eps).pow(-0.5f);
    return x.mul(inverseRms).mul(weight);
  }
}
