package dev.latent.ml.vision.detr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Where things are for {@link Detr}: sine encodings of feature cells and of query points, and SMCA's prior. */
final class DetrPositions {

  private DetrPositions() {}

  /**
   * DETR's 2-D sine encoding for an {@code f×f} map: half the channels encode y, half x, each as
   * interleaved sin/cos at frequencies {@code 10000^(2i/(d/2))}, positions normalised to (0, 2π].
   */
  static NDArray sinePositions(NDManager m, int f, int d) {
    int half = d / 2;
    float[] out = new float[f * f * d];
    for (int y = 0; y < f; y++) {
      for (int x = 0; x < f; x++) {
        double[] pos = {(y + 1) / (double) f * 2 * Math.PI, (x + 1) / (double) f * 2 * Math.PI};
        for (int axis = 0; axis < 2; axis++) {
          for (int i = 0; i < half; i++) {
            double t = Math.pow(10000, 2.0 * (i / 2) / half);
            double v = i % 2 == 0 ? Math.sin(pos[axis] / t) : Math.cos(pos[axis] / t);
            out[(y * f + x) * d + axis * half + i] = (float) v;
          }
        }
      }
    }
    return m.create(out, new Shape(1, (long) f * f, d));
  }

  /**
   * The same sine encoding for reference points {@code [Q, 2]} (normalised x, y in [0, 1]) → {@code [Q, d]}:
   * a point at the centre of feature cell (x, y) gets exactly that cell's encoding, so queries and keys
   * share one position space.
   */
  static NDArray pointPositions(NDArray points, int f, int d) {
    int half = d / 2;
    float[] inv = new float[half];
    float[] phase = new float[half];
    for (int i = 0; i < half; i++) {
      inv[i] = (float) (1 / Math.pow(10000, 2.0 * (i / 2) / half));
      phase[i] = i % 2 == 0 ? 0f : (float) (Math.PI / 2); // cos(a) = sin(a + π/2)
    }
    NDManager m = points.getManager();
    NDArray freq = m.create(inv);
    NDArray shift = m.create(phase);
    // cell index k's centre is (k + 0.5) / f; the encoding's angle is (k + 1) / f · 2π
    NDArray angle = points.mul((float) f).add(0.5f).div((float) f).mul((float) (2 * Math.PI)); // [Q, 2]
    NDArray y = angle.get(":, 1:2").mul(freq).add(shift).sin(); // [Q, d/2]
    NDArray x = angle.get(":, 0:1").mul(freq).add(shift).sin();
    return y.concat(x, 1);
  }

  /**
   * SMCA's spatial prior (Gao et al. 2021) on the cross-attention logits: {@code -|p_n - r_q|² / (2σ_q²)}
   * for feature cell centres {@code p_n}, reference points {@code r_q} and learned radii σ_q, so each
   * query first reads the features around its reference point → {@code [1, 1, Q, N]}.
   */
  static NDArray gaussianPrior(NDArray refs, NDArray logScale, int f) {
    float[] cells = new float[f * f * 2];
    for (int y = 0; y < f; y++) {
      for (int x = 0; x < f; x++) {
        cells[(y * f + x) * 2] = (x + 0.5f) / f;
        cells[(y * f + x) * 2 + 1] = (y + 0.5f) / f;
      }
    }
    NDArray centres = refs.getManager().create(cells, new Shape(1, (long) f * f, 2)); // [1, N, 2]
    NDArray d2 = refs.expandDims(1).sub(centres).square().sum(new int[] {-1}); // [Q, N]
    NDArray inv2s2 = logScale.mul(-2f).exp().mul(0.5f).expandDims(1); // [Q, 1]
    return d2.mul(inv2s2).neg().expandDims(0).expandDims(0);
  }
}
